// `custos keys rotate|status`.
import type { Command } from 'commander';
import { rotateKeks } from '../crypto/rotate.js';
import { flagsOf, withContext } from './common.js';

export function keyCommands(program: Command): void {
  const keys = program.command('keys').description('the keyring');

  keys
    .command('rotate')
    .description(
      'add a key-encryption key version and re-wrap every data key under it (safe while the server runs)',
    )
    .option('--batch <n>', 'data keys re-wrapped per transaction', '1000')
    .option('--resume', 'only finish an interrupted rotation')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { batch: string; resume?: boolean; json?: boolean }, cmd: Command) => {
      const batchSize = Math.max(1, Math.min(100_000, Number.parseInt(opts.batch, 10) || 1000));
      const report = await withContext(flagsOf(cmd.optsWithGlobals()), (ctx) =>
        rotateKeks(
          ctx.store,
          ctx.keyring,
          ctx.audit,
          { type: 'cli', id: null },
          { batchSize, resumeOnly: opts.resume ?? false },
        ),
      );
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(report)}\n`
          : `Key-encryption key is now v${report.to}; re-wrapped ${report.rewrapped} data keys; destroyed ${report.destroyed.length ? report.destroyed.map((v) => `v${v}`).join(', ') : 'none'}.\n`,
      );
    });

  keys
    .command('status')
    .description('key versions, their state and use counts')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await withContext(flagsOf(cmd.optsWithGlobals()), async (ctx) => {
        const ring = await ctx.store.db
          .selectFrom('keyring')
          .select(['purpose', 'version', 'state', 'encryptions', 'created_at'])
          .orderBy('purpose')
          .orderBy('version')
          .execute();
        const dataKeys = await ctx.store.db
          .selectFrom('data_keys')
          .select(['kek_version'])
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .groupBy('kek_version')
          .execute();
        return {
          keyring: ring.map((r) => ({ ...r, encryptions: Number(r.encryptions) })),
          dataKeysByKek: dataKeys.map((d) => ({ kek: d.kek_version, count: Number(d.n) })),
        };
      });
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    });
}
