// Shared plumbing for CLI commands: configuration with friendly failure, an opened context, and
// exit codes (0 ok, 1 the command's answer is "no" or it failed, 2 bad settings or keys).
import pino from 'pino';
import {
  ConfigError,
  formatConfigError,
  loadConfig,
  type Config,
  type FlagValues,
} from '../config.js';
import type { AppContext } from '../context.js';
import { KeyringMismatchError } from '../crypto/keyring.js';
import { MasterKeyError } from '../crypto/master-key.js';
import { isAppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { openContext } from '../server.js';

export const EXIT_FAILED = 1;
export const EXIT_CONFIG = 2;

/** Thrown inside commands to end with a message and an exit code (no stack trace). */
export class CliExit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export function configFrom(flags: FlagValues): Config {
  try {
    return loadConfig(process.env, flags);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(formatConfigError(error), EXIT_CONFIG);
    throw error;
  }
}

/** Picks the settings flags commander collected (global and command-level). */
export function flagsOf(opts: Record<string, unknown>): FlagValues {
  const flags: FlagValues = {};
  for (const key of ['db', 'dataDir', 'host', 'port', 'baseUrl', 'logLevel'] as const) {
    const v = opts[key];
    if (typeof v === 'string') flags[key] = v;
  }
  return flags;
}

/** Runs `fn` with an opened context, closing the database afterwards. CLI logs go to stderr. */
export async function withContext<T>(
  flags: FlagValues,
  fn: (ctx: AppContext) => Promise<T>,
): Promise<T> {
  const config = configFrom(flags);
  const log = createLogger(
    config.logLevel === 'info' ? 'warn' : config.logLevel,
    pino.destination(2),
  );
  const ctx = await openContext(config, log);
  try {
    return await fn(ctx);
  } finally {
    await ctx.keyring.flushUsage(ctx.store.db).catch(() => undefined);
    await ctx.store.close();
  }
}

/** Maps any error to a message and exit code; never prints a stack for expected failures. */
export function describeFailure(error: unknown): { message: string; code: number } {
  if (error instanceof CliExit) return { message: error.message, code: error.code };
  if (error instanceof MasterKeyError || error instanceof KeyringMismatchError)
    return { message: error.message, code: EXIT_CONFIG };
  if (isAppError(error)) {
    const fields = (error.extra.errors ?? []).map((e) => `  ${e.pointer}: ${e.detail}`).join('\n');
    return {
      message: `${error.title}: ${error.detail}${fields ? `\n${fields}` : ''}`,
      code: EXIT_FAILED,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `custos: ${message}`, code: EXIT_FAILED };
}

/** Reads all of standard input (for --password-stdin). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
