// Runs the real `custos` CLI (the TypeScript sources through tsx) in a child process.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { TestEnv } from './env.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CUSTOS_ENV: 'test',
    };
    for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), ...args],
      { cwd: ROOT, env },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The settings that point a child process at a test environment's database and keys. */
export function envFor(env: TestEnv): Record<string, string | undefined> {
  return {
    CUSTOS_DB: env.db.url,
    CUSTOS_DATA_DIR: env.db.dataDir,
    CUSTOS_MASTER_KEY: env.masterKey,
    CUSTOS_LOG_LEVEL: 'warn',
    CUSTOS_AUDIT_ORIGIN: 'custos.test/audit',
  };
}
