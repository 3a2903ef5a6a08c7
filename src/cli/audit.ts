// `custos audit verify|verify-consents|checkpoint|public-key|proof|check-proof`.
import fs from 'node:fs';
import type { Command } from 'commander';
import { checkProof } from '../audit/check-proof.js';
import {
  checkpointAt,
  currentSize,
  proveConsistency,
  proveInclusion,
  publicVerifierKey,
} from '../audit/tree.js';
import { verifyAuditLog } from '../audit/verify.js';
import { checkConsentLedger } from '../consent/verify.js';
import { transaction } from '../db/store.js';
import { CliExit, EXIT_CONFIG, EXIT_FAILED, flagsOf, withContext } from './common.js';

const b64 = (b: Buffer): string => b.toString('base64');
const int = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CliExit(`--${name} must be a whole number`, EXIT_FAILED);
  return Number(v);
};
function readFileOrExit(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new CliExit(`cannot read the ${what} file ${file}`, EXIT_CONFIG);
  }
}

export function auditCommands(program: Command): void {
  const audit = program.command('audit').description('the verifiable audit log');

  audit
    .command('verify')
    .description('replay the whole log; exit 0 when intact, 1 naming the first bad event')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const result = await withContext(flagsOf(cmd.optsWithGlobals()), async (ctx) => {
        const r = await verifyAuditLog(ctx.store.db, ctx.keyring);
        await transaction(ctx.store, (trx) =>
          ctx.audit.record(trx, {
            actor: { type: 'cli', id: null },
            action: 'audit.verify',
            outcome: r.ok ? 'success' : 'failure',
            details: r.ok ? { size: r.size } : { kind: r.kind, firstBadEvent: r.firstBadEvent },
          }),
        );
        return r;
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else if (result.ok)
        process.stdout.write(
          `ok: ${result.size} events, root ${result.root}, ${result.checkpointsChecked} checkpoints checked\n`,
        );
      else
        process.stdout.write(
          `TAMPERED: ${result.kind} at event ${result.firstBadEvent}: ${result.detail}\n`,
        );
      if (!result.ok) process.exitCode = EXIT_FAILED;
    });

  audit
    .command('verify-consents')
    .description(
      'check every consent record against the audit event covering it; exit 0 when they agree, 1 listing what does not',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const result = await withContext(flagsOf(cmd.optsWithGlobals()), (ctx) =>
        checkConsentLedger(ctx, { type: 'cli', id: null }),
      );
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        const counts = `${result.records} records, ${result.recordEvents} record events, ${result.batchEvents} batch events`;
        process.stdout.write(
          result.ok
            ? `ok: ${counts}\n`
            : `MISMATCH: ${result.problemCount} problem${result.problemCount === 1 ? '' : 's'} in ${counts}\n`,
        );
        for (const p of result.problems)
          process.stdout.write(
            `  ${p.kind}: event ${p.auditSeq ?? '-'}, record ${p.recordId ?? '-'}: ${p.detail}\n`,
          );
      }
      if (!result.ok) process.exitCode = EXIT_FAILED;
    });

  audit
    .command('checkpoint')
    .description('print a signed checkpoint (C2SP signed note) for the current or a given size')
    .option('--size <n>', 'tree size')
    .action(async (opts: { size?: string }, cmd: Command) => {
      const note = await withContext(
        flagsOf(cmd.optsWithGlobals()),
        async (ctx) =>
          (
            await checkpointAt(
              ctx.store.db,
              ctx.keyring,
              ctx.config.auditOrigin,
              ctx.clock.now(),
              int(opts.size, 'size'),
            )
          ).note,
      );
      process.stdout.write(note);
    });

  audit
    .command('public-key')
    .description('print the verifier key that checks checkpoint signatures')
    .action(async (_opts: unknown, cmd: Command) => {
      const key = await withContext(flagsOf(cmd.optsWithGlobals()), (ctx) =>
        Promise.resolve(publicVerifierKey(ctx.keyring, ctx.config.auditOrigin)),
      );
      process.stdout.write(`${key}\n`);
    });

  audit
    .command('proof')
    .description(
      'print an inclusion proof (--event) or a consistency proof (--from) as JSON, like the API',
    )
    .option('--event <n>', 'event number for an inclusion proof')
    .option('--from <n>', 'older tree size for a consistency proof')
    .option('--size <n>', 'tree size (default: current)')
    .action(async (opts: { event?: string; from?: string; size?: string }, cmd: Command) => {
      const doc = await withContext(flagsOf(cmd.optsWithGlobals()), async (ctx) => {
        const size = int(opts.size, 'size') ?? (await currentSize(ctx.store.db));
        const checkpoint = await checkpointAt(
          ctx.store.db,
          ctx.keyring,
          ctx.config.auditOrigin,
          ctx.clock.now(),
          size,
        );
        const event = int(opts.event, 'event');
        if (event !== undefined) {
          const p = await proveInclusion(ctx.store.db, event, size);
          return {
            kind: 'inclusion',
            event,
            size,
            entry: b64(p.entry),
            leafHash: b64(p.leafHash),
            proof: p.proof.map(b64),
            checkpoint: checkpoint.note,
          };
        }
        const from = int(opts.from, 'from');
        if (from === undefined) throw new CliExit('give --event or --from', EXIT_FAILED);
        const proof = await proveConsistency(ctx.store.db, from, size);
        return {
          kind: 'consistency',
          from,
          to: size,
          proof: proof.map(b64),
          checkpoint: checkpoint.note,
        };
      });
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    });

  audit
    .command('check-proof')
    .description(
      'offline: check a proof against a checkpoint you already trust and the log public key (no database needed)',
    )
    .requiredOption(
      '--proof <file>',
      'proof JSON from GET /api/v1/audit/proof/... or `custos audit proof`',
    )
    .requiredOption(
      '--checkpoint <file>',
      'a checkpoint note you trust (for consistency: the older one)',
    )
    .requiredOption('--key <file>', 'file holding the verifier key from `custos audit public-key`')
    .action((opts: { proof: string; checkpoint: string; key: string }) => {
      const result = checkProof({
        proof: readFileOrExit(opts.proof, 'proof'),
        checkpoint: readFileOrExit(opts.checkpoint, 'checkpoint'),
        key: readFileOrExit(opts.key, 'key').trim(),
      });
      process.stdout.write(`${result.ok ? 'ok' : 'FAILED'}: ${result.detail}\n`);
      if (!result.ok) process.exitCode = EXIT_FAILED;
    });
}
