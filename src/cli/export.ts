// `custos export ropa --format csv|json [--out FILE]`: the records of processing activities, the
// same document as GET /api/v1/datamap/ropa, for a regulator's request or a compliance audit.
import fs from 'node:fs';
import type { Command } from 'commander';
import { exportRopa, ROPA_FORMATS, type RopaFormat } from '../datamap/ropa.js';
import { CliExit, EXIT_CONFIG, EXIT_FAILED, flagsOf, withContext } from './common.js';

const isFormat = (v: string): v is RopaFormat => (ROPA_FORMATS as readonly string[]).includes(v);

export function exportCommands(program: Command): void {
  const exp = program.command('export').description('export registers and records');

  exp
    .command('ropa')
    .description('records of processing activities (PIPL art. 56), one entry per active purpose')
    .option('--format <format>', 'csv or json', 'json')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (opts: { format: string; out?: string }, cmd: Command) => {
      const format = opts.format.toLowerCase();
      if (!isFormat(format))
        throw new CliExit(
          `--format must be one of ${ROPA_FORMATS.join(', ')} (got "${opts.format}")`,
          EXIT_CONFIG,
        );
      const { body, ropa } = await withContext(flagsOf(cmd.optsWithGlobals()), (ctx) =>
        exportRopa(ctx, { type: 'cli', id: null }, format),
      );
      if (opts.out === undefined) {
        process.stdout.write(body);
        return;
      }
      try {
        // Internal compliance material: readable by the owner only, like the data folder.
        fs.writeFileSync(opts.out, body, { mode: 0o600 });
      } catch {
        throw new CliExit(`cannot write ${opts.out}`, EXIT_FAILED);
      }
      process.stderr.write(`wrote ${ropa.entries.length} entries to ${opts.out}\n`);
    });
}
