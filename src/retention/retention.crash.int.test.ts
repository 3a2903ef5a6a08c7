// A retention sweep killed mid-run (SIGKILL of the real `custos retention run` process) loses
// nothing: the next run resumes the unfinished one, every expired record is removed exactly once,
// the counts add up, and a further run finds nothing to do. On SQLite and PostgreSQL.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntry } from '../audit/events.js';
import { DB_KINDS } from '../../test/support/db.js';
import { envFor, runCli } from '../../test/support/cli.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs } from '../../test/support/http.js';
import { parseCounts } from './counts.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SUBJECTS = 500;
const PER_SUBJECT = 3;
const TOTAL = SUBJECTS * PER_SUBJECT;
const BATCH = '50';

describe.each(DB_KINDS)('retention crash and resume on %s', (kind) => {
  let env: TestEnv;
  let settings: Record<string, string | undefined>;

  beforeAll(async () => {
    env = await makeEnv(kind);
    settings = { ...envFor(env), CUSTOS_RETENTION_BATCH: BATCH };
    const officer = await loginAs(env, 'privacy_officer');
    // Collected two years ago for a purpose kept one year: expired by the child's real clock too.
    const collectedAt = new Date(Date.now() - 730 * 86_400_000).toISOString();
    for (let i = 0; i < SUBJECTS; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, SUBJECTS - i) }, (_, j) =>
          officer.client
            .post('/api/v1/subjects', {
              records: [
                ['email', `crash.${i + j}@example.com`],
                ['phone', `1390000${String(i + j).padStart(4, '0')}`],
                ['name', `测试${i + j}`],
              ].map(([category, value]) => ({
                category,
                purpose: 'consultation',
                value,
                source: 'import',
                collectedAt,
              })),
            })
            .then((res) => expect(res.status, res.text).toBe(201)),
        ),
      );
    }
  }, 180_000);
  afterAll(async () => env.close());

  const recordCount = async () =>
    Number(
      (
        await sql<{
          n: number | string;
        }>`select count(*) as n from pi_records`.execute(env.ctx.store.db)
      ).rows[0]?.n,
    );
  const runs = () =>
    env.ctx.store.db.selectFrom('retention_runs').selectAll().orderBy('id').execute();

  it('is killed after its first batch, then resumed to an exact finish', async () => {
    expect(await recordCount()).toBe(TOTAL);

    // 1. Start the real CLI and SIGKILL it as soon as a batch has committed.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'retention', 'run'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CUSTOS_ENV: 'test', ...settings },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const run = (await runs())[0];
      if (run !== undefined && parseCounts(run.counts).batches >= 1) break;
      if (Date.now() > deadline) throw new Error('the sweep never committed a batch');
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // 2. What the killed run committed is consistent: its counts match the records gone.
    const [killed] = await runs();
    expect(killed!.status).toBe('running');
    const partial = parseCounts(killed!.counts);
    const left = await recordCount();
    expect(left, 'the sweep finished before it could be killed').toBeGreaterThan(0);
    expect(partial.deleted).toBe(TOTAL - left);
    expect(partial.batches).toBeGreaterThanOrEqual(1);
    expect(partial.deleted).toBe(partial.batches * Number(BATCH));

    // 3. The next run resumes it and finishes: every record removed exactly once.
    const resumed = await runCli(['retention', 'run', '--json'], { env: settings });
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(report).toMatchObject({
      id: killed!.id,
      resumed: true,
      status: 'completed',
      trigger: 'cli',
      dryRun: false,
    });
    expect(report.counts).toMatchObject({
      examined: TOTAL,
      deleted: TOTAL,
      anonymised: 0,
      held: 0,
      shreddedSubjects: SUBJECTS,
    });
    expect(report.counts.purposes).toEqual({
      consultation: { deleted: TOTAL, anonymised: 0, held: 0 },
    });
    expect(await recordCount()).toBe(0);
    const subjects = await env.ctx.store.db
      .selectFrom('subjects')
      .select(['status'])
      .where('status', '=', 'active')
      .execute();
    expect(subjects).toEqual([]);
    const keys = await env.ctx.store.db
      .selectFrom('data_keys')
      .select('id')
      .where('owner_type', '=', 'subject')
      .execute();
    expect(keys).toEqual([]);
    const identifiers = await env.ctx.store.db
      .selectFrom('subject_identifiers')
      .select('kind')
      .execute();
    expect(identifiers).toEqual([]);

    // Each subject was shredded (and audited) exactly once; one run event carries the totals.
    const shreds = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('target_id')
      .where('action', '=', 'retention.subject_shred')
      .execute();
    expect(shreds).toHaveLength(SUBJECTS);
    expect(new Set(shreds.map((e) => e.target_id)).size).toBe(SUBJECTS);
    const runEvents = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('entry')
      .where('action', '=', 'retention.run')
      .execute();
    expect(runEvents).toHaveLength(1);
    const details = parseEntry(runEvents[0]!.entry).details;
    expect(details).toMatchObject({ deleted: TOTAL, shreddedSubjects: SUBJECTS, resumed: true });
    expect(runEvents[0]!.entry.toString('utf8')).not.toContain('example.com');

    // The audit log is still intact after the kill.
    const verify = await runCli(['audit', 'verify'], { env: settings });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // 4. A third run is a no-op.
    const third = await runCli(['retention', 'run'], { env: settings });
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/examined 0, deleted 0, anonymised 0, held 0/);
    expect(third.stdout).not.toContain('example.com');
    const all = await runs();
    expect(all).toHaveLength(2);
    expect(all.map((r) => r.status)).toEqual(['completed', 'completed']);
  }, 180_000);
});
