// `custos retention run [--dry-run] [--json]`: one sweep (or the resumption of an unfinished one),
// printing its counts. Exit 0 when it completed; 1 when another sweep holds the lock or it failed.
import type { Command } from 'commander';
import { runRetentionExclusive } from '../retention/sweep.js';
import { flagsOf, withContext } from './common.js';

export function retentionCommands(program: Command): void {
  const retention = program
    .command('retention')
    .description('retention schedules and sweeps (deletion, anonymisation, crypto-shredding)');

  retention
    .command('run')
    .description(
      'delete or anonymise expired PI records, honouring legal holds; resumes an interrupted run',
    )
    .option('--dry-run', 'count what would happen; change nothing')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const report = await withContext(flagsOf(cmd.optsWithGlobals()), (ctx) =>
        runRetentionExclusive(ctx, { dryRun: opts.dryRun === true, trigger: 'cli' }),
      );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const c = report.counts;
      const lines = [
        `retention run ${report.id}${report.dryRun ? ' (dry run: nothing changed)' : ''}${report.resumed ? ' (resumed)' : ''}: ${report.status}`,
        `  examined ${c.examined}, deleted ${c.deleted}, anonymised ${c.anonymised}, held ${c.held}`,
        `  subjects crypto-shredded ${c.shreddedSubjects}; expiry backfilled ${c.backfilled}; without expiry ${c.unscheduled}; batches ${c.batches}`,
        ...Object.entries(c.purposes)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(
            ([purpose, p]) =>
              `  ${purpose}: deleted ${p.deleted}, anonymised ${p.anonymised}, held ${p.held}`,
          ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
