// The `custos` command line: serve, migrate, admin, keys, audit, retention, export. Every command reads the same
// settings (environment variables, overridden by the flags below).
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { adminCommands } from './cli/admin.js';
import { auditCommands } from './cli/audit.js';
import { configFrom, describeFailure, flagsOf, withContext } from './cli/common.js';
import { exportCommands } from './cli/export.js';
import { keyCommands } from './cli/keys.js';
import { retentionCommands } from './cli/retention.js';
import { migrateToLatest } from './db/migrate.js';
import { openStore, storeOptions } from './db/store.js';
import { createLogger } from './logger.js';
import { openContext, serve } from './server.js';

export function buildProgram(): Command {
  const program = new Command('custos')
    .description('Custos: keep every promise of your privacy policy, in software')
    .option('--db <url>', 'database: unset for SQLite, or postgres://… (CUSTOS_DB)')
    .option('--data-dir <dir>', 'folder for the SQLite file and key file (CUSTOS_DATA_DIR)')
    .option('--log-level <level>', 'log level (CUSTOS_LOG_LEVEL)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('run the HTTP server (migrates the database first)')
    .option('--port <port>', 'HTTP port (CUSTOS_PORT)')
    .option('--host <host>', 'listen address (CUSTOS_HOST)')
    .option('--base-url <url>', 'public URL (CUSTOS_BASE_URL)')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configFrom(flagsOf(cmd.optsWithGlobals()));
      const log = createLogger(config.logLevel);
      const ctx = await openContext(config, log);
      await serve(ctx);
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configFrom(flagsOf(cmd.optsWithGlobals()));
      const store = openStore(storeOptions(config));
      try {
        const applied = await migrateToLatest(store);
        process.stdout.write(
          applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n',
        );
      } finally {
        await store.close();
      }
    });

  adminCommands(program);
  keyCommands(program);
  auditCommands(program);
  retentionCommands(program);
  exportCommands(program);

  program
    .command('check-config')
    .description('validate the settings and the master key, then exit')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(flagsOf(cmd.optsWithGlobals()), () => Promise.resolve());
      process.stdout.write('Configuration is valid.\n');
    });
  return program;
}

/** Runs the CLI; resolves with the exit code (the server keeps running for `serve`). */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const { message, code } = describeFailure(error);
    process.stderr.write(`${message}\n`);
    return code;
  }
}

// Run when executed directly (tsx src/main.ts …); bin/custos.js imports the compiled module.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
