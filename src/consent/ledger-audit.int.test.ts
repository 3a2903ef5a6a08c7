// The consent ledger against the audit trail (GET /api/v1/consents/verify) on SQLite and
// PostgreSQL: banner flushes share one `consent.batch` event whose Merkle root covers their
// records, staff decisions keep their own `consent.record` event, and a record edited, deleted or
// slipped in behind the application's back is named by the check (and the check is audited).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootFromLeafHashes } from '../audit/merkle.js';
import {
  auditEntries,
  CONSENT_API_SETTINGS,
  event,
  postEvent,
} from '../../test/support/consent.js';
import { envFor, runCli } from '../../test/support/cli.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';
import { recordLeafHash } from './ledger.js';
import { verifyConsentLedger } from './verify.js';
import { createConsentWriter, type QueuedConsent } from './writer.js';

describe.each(DB_KINDS)('consent ledger check on %s', (kind) => {
  let env: TestEnv;
  let security: Staff;
  let handler: Staff;
  let officer: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind, CONSENT_API_SETTINGS);
    security = await loginAs(env, 'security_officer');
    handler = await loginAs(env, 'request_handler');
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => env?.close());

  const check = async () => {
    const res = await security.client.get('/api/v1/consents/verify');
    expect(res.status, res.text).toBe(200);
    return res.body as {
      ok: boolean;
      records: number;
      recordEvents: number;
      batchEvents: number;
      problemCount: number;
      problems: Array<{ kind: string; auditSeq: number | null; recordId: string | null }>;
    };
  };

  /** Banner events of new visitors sent at once, so the writer groups them; their record ids. */
  async function bannerChoices(n: number): Promise<string[]> {
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        postEvent(
          env,
          event(randomUUID(), [
            ['analytics', i % 2 === 0],
            ['functional', i % 3 === 0],
          ]),
        ),
      ),
    );
    for (const r of results) expect(r.status, r.text).toBe(201);
    return results.flatMap((r) => r.body.recorded.map((x: { id: string }) => x.id));
  }

  const rowsOf = (ids: readonly string[]) =>
    env.ctx.store.db
      .selectFrom('consent_records')
      .selectAll()
      .where('id', 'in', [...ids])
      .orderBy('id')
      .execute();

  it('covers banner records by batch events whose Merkle root is over their leaves, staff decisions by their own event', async () => {
    const ids = await bannerChoices(24);
    const rows = await rowsOf(ids);
    expect(rows).toHaveLength(48);
    const bySeq = new Map<number, typeof rows>();
    for (const r of rows) {
      expect(r.audit_seq).not.toBeNull();
      const seq = Number(r.audit_seq);
      bySeq.set(seq, [...(bySeq.get(seq) ?? []), r]);
    }
    const batches = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['seq', 'action', 'target_id', 'entry', 'actor_type'])
      .where('seq', 'in', [...bySeq.keys()])
      .execute();
    expect(batches).toHaveLength(bySeq.size);
    for (const b of batches) {
      const covered = bySeq.get(Number(b.seq))!;
      const entry = JSON.parse(Buffer.from(b.entry).toString('utf8'));
      expect(b.action).toBe('consent.batch');
      expect(b.actor_type).toBe('anonymous');
      expect(b.target_id).toBe(covered[0]!.id);
      // Recomputed here from the stored rows: the event's root and counts are theirs.
      const root = rootFromLeafHashes(covered.map(recordLeafHash)).toString('base64url');
      expect(entry.details).toMatchObject({
        records: covered.length,
        root,
        first: covered[0]!.id,
        last: covered[covered.length - 1]!.id,
        granted: covered.filter((r) => r.decision === 'grant').length,
        denied: covered.filter((r) => r.decision === 'deny').length,
        withdrawn: 0,
      });
    }

    const subject = await officer.client.post('/api/v1/subjects', {
      records: [
        { category: 'email', purpose: 'marketing', value: 'he.yu@example.net', source: 'web_form' },
      ],
    });
    expect(subject.status, subject.text).toBe(201);
    const staff = await handler.client.post(`/api/v1/consents/subjects/${subject.body.id}`, {
      decisions: [{ purpose: 'marketing', granted: true }],
      lang: 'en',
      reason: 'Consent given on the phone, call logged',
    });
    expect(staff.status, staff.text).toBe(201);
    const [own] = await rowsOf([staff.body.recorded[0].id]);
    const ownEvent = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target_id'])
      .where('seq', '=', Number(own!.audit_seq))
      .executeTakeFirstOrThrow();
    expect(ownEvent).toEqual({ action: 'consent.record', target_id: own!.id });

    const result = await check();
    expect(result).toMatchObject({ ok: true, problemCount: 0, problems: [] });
    expect(await verifyConsentLedger(env.ctx.store.db, { page: 5, bySeq: 3 })).toEqual(result);
    expect(result.batchEvents).toBeGreaterThanOrEqual(bySeq.size);
    expect(result.recordEvents).toBeGreaterThanOrEqual(1);
    // The check itself is in the audit trail, with counts only.
    const audited = await auditEntries(env, 'consent.verify');
    expect(JSON.parse(audited.at(-1)!).details).toMatchObject({ problems: 0 });
  });

  it('names a batch whose record was edited, a batch missing a record, and a record no event covers', async () => {
    const ids = await bannerChoices(6);
    const rows = await rowsOf(ids);
    const db = env.ctx.store.db;
    const edited = rows[0]!;
    await db
      .updateTable('consent_records')
      .set({ decision: edited.decision === 'grant' ? 'deny' : 'grant' })
      .where('id', '=', edited.id)
      .execute();
    const gone = rows.find((r) => Number(r.audit_seq) !== Number(edited.audit_seq)) ?? rows[1]!;
    await db.deleteFrom('consent_records').where('id', '=', gone.id).execute();
    const forged = { ...rows[2]!, id: randomUUID(), audit_seq: null };
    await db.insertInto('consent_records').values(forged).execute();

    const result = await check();
    expect(result.ok).toBe(false);
    // Read in pages of three records and events fetched two at a time, every page border crossed:
    // the same verdict.
    expect(await verifyConsentLedger(db, { page: 3, bySeq: 2 })).toEqual(result);
    const found = result.problems.map((p) => [p.kind, p.auditSeq, p.recordId]);
    expect(found).toContainEqual(['unaudited', null, forged.id]);
    const editedBatch = result.problems.find((p) => p.auditSeq === Number(edited.audit_seq));
    expect(editedBatch?.kind).toBe(
      Number(gone.audit_seq) === Number(edited.audit_seq) ? 'missing' : 'altered',
    );
    expect(result.problems.some((p) => p.auditSeq === Number(gone.audit_seq))).toBe(true);
    const audited = await auditEntries(env, 'consent.verify');
    expect(JSON.parse(audited.at(-1)!)).toMatchObject({
      outcome: 'failure',
      details: { problems: result.problemCount },
    });

    // Put back as it was: the check agrees again.
    await db.deleteFrom('consent_records').where('id', '=', forged.id).execute();
    await db.insertInto('consent_records').values(gone).execute();
    await db
      .updateTable('consent_records')
      .set({ decision: edited.decision })
      .where('id', '=', edited.id)
      .execute();
    expect((await check()).ok).toBe(true);
  });

  it('names a staff decision whose record was edited or deleted', async () => {
    const subject = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'email',
          purpose: 'marketing',
          value: 'lu.fang@example.net',
          source: 'web_form',
        },
      ],
    });
    expect(subject.status, subject.text).toBe(201);
    const staff = await handler.client.post(`/api/v1/consents/subjects/${subject.body.id}`, {
      decisions: [{ purpose: 'marketing', granted: true }],
      lang: 'en',
      reason: 'Consent given on the phone, call logged',
    });
    expect(staff.status, staff.text).toBe(201);
    const id = staff.body.recorded[0].id as string;
    const [row] = await rowsOf([id]);
    const db = env.ctx.store.db;

    await db
      .updateTable('consent_records')
      .set({ decision: 'withdraw' })
      .where('id', '=', id)
      .execute();
    const altered = await check();
    expect(altered.problems).toContainEqual(
      expect.objectContaining({ kind: 'altered', recordId: id, auditSeq: Number(row!.audit_seq) }),
    );

    await db.deleteFrom('consent_records').where('id', '=', id).execute();
    const missing = await check();
    expect(missing.problems).toContainEqual(
      expect.objectContaining({ kind: 'missing', recordId: id, auditSeq: Number(row!.audit_seq) }),
    );
    await db.insertInto('consent_records').values(row!).execute();
    expect((await check()).ok).toBe(true);
  });

  it('runs from the command line too: exit 0 when the ledger agrees, 1 naming what does not', async () => {
    const ids = await bannerChoices(3);
    const ok = await runCli(['audit', 'verify-consents', '--json'], { env: envFor(env) });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problemCount: 0 });

    const [gone] = await rowsOf([ids[0]!]);
    await env.ctx.store.db.deleteFrom('consent_records').where('id', '=', gone!.id).execute();
    const bad = await runCli(['audit', 'verify-consents'], { env: envFor(env) });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^MISMATCH: 1 problem in /);
    expect(bad.stdout).toContain(`missing: event ${Number(gone!.audit_seq)}`);
    const audited = await auditEntries(env, 'consent.verify');
    expect(JSON.parse(audited.at(-1)!)).toMatchObject({
      actor: { type: 'cli' },
      outcome: 'failure',
      details: { problems: 1 },
    });
    await env.ctx.store.db.insertInto('consent_records').values(gone!).execute();
    expect((await check()).ok).toBe(true);
  });

  it('is for those who may verify the audit trail only', async () => {
    const res = await handler.client.get('/api/v1/consents/verify');
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe.each(DB_KINDS)('consent writer on %s', (kind) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv(kind);
  });
  afterAll(async () => env?.close());

  it('writes the events queued in one turn of the event loop as one batch under one event', async () => {
    const writer = createConsentWriter(env.ctx);
    const entry = (granted: boolean): QueuedConsent => ({
      party: { visitorId: randomUUID() },
      controllerId: 'self',
      purpose: 'website_analytics',
      granted,
      policyVersion: '2026.1',
      noticeSha256: null,
      method: 'banner',
      lang: 'en',
    });
    const written = await Promise.all([
      writer.write([entry(true)]),
      writer.write([entry(false), entry(true)]),
      writer.write([entry(false)]),
    ]);
    await writer.close();
    const rows = written.flat();
    expect(rows.map((r) => r.decision)).toEqual(['grant', 'deny', 'grant', 'deny']);
    expect(new Set(rows.map((r) => Number(r.audit_seq))).size).toBe(1);
    const batch = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'entry'])
      .where('seq', '=', Number(rows[0]!.audit_seq))
      .executeTakeFirstOrThrow();
    expect(batch.action).toBe('consent.batch');
    expect(JSON.parse(Buffer.from(batch.entry).toString('utf8')).details).toMatchObject({
      records: 4,
      granted: 2,
      denied: 2,
      purposes: ['website_analytics'],
    });
    await expect(writer.write([entry(true)])).rejects.toMatchObject({ status: 503 });
  });

  it('holds the next choice of a visitor until the flush holding their previous one has committed', async () => {
    const writer = createConsentWriter(env.ctx);
    const visitorId = randomUUID();
    const other = randomUUID();
    const entry = (visitor: string, granted: boolean): QueuedConsent => ({
      party: { visitorId: visitor },
      controllerId: 'self',
      purpose: 'website_preferences',
      granted,
      policyVersion: '2026.1',
      noticeSha256: null,
      method: 'banner',
      lang: 'en',
    });
    const first = writer.write([entry(visitorId, true)]);
    // The first flush has started (check phase) and waits on the database when these arrive.
    await new Promise((resolve) => setImmediate(resolve));
    const second = writer.write([entry(visitorId, false)]);
    const unrelated = writer.write([entry(other, false)]);
    const [a, b, c] = await Promise.all([first, second, unrelated]);
    await writer.close();
    // Decided after the grant was committed, the "no" is a withdrawal, not a denial.
    expect([a[0]!.decision, b[0]!.decision, c[0]!.decision]).toEqual(['grant', 'withdraw', 'deny']);
    expect(Number(b[0]!.audit_seq)).toBeGreaterThan(Number(a[0]!.audit_seq));
    const check = await verifyConsentLedger(env.ctx.store.db);
    expect(check).toMatchObject({ ok: true, problemCount: 0 });
  });
});
