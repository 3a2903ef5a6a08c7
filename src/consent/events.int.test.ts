// Consent events end to end over HTTP on SQLite and PostgreSQL (POST /api/v1/consent/events): accept
// all, reject all, withdraw; GPC and DNT from headers and body; separate consent alone; every bad
// input a clear 4xx that writes nothing; older policy versions; 200 concurrent events each recorded
// exactly once, and the audit chain.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditEntries,
  CONSENT_API_SETTINGS,
  count,
  event,
  expectProblem,
  hex,
  postEvent,
  SITE,
  UA,
} from '../../test/support/consent.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Res, type Staff } from '../../test/support/http.js';

/** Rows of the ledger for a visitor, oldest first (read through the keyed digest, as the app does). */
async function visitorRecords(env: TestEnv, visitorId: string) {
  return env.ctx.store.db
    .selectFrom('consent_records')
    .selectAll()
    .where('visitor_digest', '=', env.ctx.keyring.blindIndex('visitor', visitorId.toLowerCase()))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

describe.each(DB_KINDS)('consent events on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  const pub = () => new Client(env.url);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    postEvent(env, body, headers);

  beforeAll(async () => {
    env = await makeEnv(kind, CONSENT_API_SETTINGS);
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => env?.close());

  it('records accept all, reject all and a withdrawal with notice hash, network prefix and browser hash', async () => {
    const visitor = randomUUID();
    const before = await count(env, 'audit_events');
    const accepted = await post(
      event(
        visitor,
        [
          ['functional', true],
          ['analytics', true],
        ],
        { action: 'accept_all' },
      ),
    );
    expect(accepted.status, accepted.text).toBe(201);
    expect(accepted.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(accepted.body.recorded).toMatchObject([
      { category: 'functional', purpose: 'website_preferences', decision: 'grant' },
      { category: 'analytics', purpose: 'website_analytics', decision: 'grant' },
    ]);
    expect(accepted.body.receipt).toBe(`/api/v1/consent/receipt?visitor=${visitor}`);
    // The separate grant comes alone, as the banner sends it.
    const marketing = await post(event(visitor, [['marketing', true]], { action: 'accept_all' }));
    expect(marketing.status, marketing.text).toBe(201);
    expect(marketing.body.recorded[0]).toMatchObject({ purpose: 'advertising', decision: 'grant' });

    const rejected = await post(
      event(
        visitor,
        [
          ['functional', false],
          ['analytics', false],
          ['marketing', false],
        ],
        { action: 'reject_all' },
      ),
    );
    expect(rejected.status, rejected.text).toBe(201);
    // Each was granted, so "no" now is a withdrawal; said again, it is a denial.
    expect(rejected.body.recorded.map((r: { decision: string }) => r.decision)).toEqual([
      'withdraw',
      'withdraw',
      'withdraw',
    ]);
    const again = await post(event(visitor, [['analytics', false]], { action: 'reject_all' }));
    expect(again.body.recorded[0].decision).toBe('deny');

    const rows = await visitorRecords(env, visitor);
    expect(rows.map((r) => [r.purpose_key, r.decision])).toEqual([
      ['website_preferences', 'grant'],
      ['website_analytics', 'grant'],
      ['advertising', 'grant'],
      ['website_preferences', 'withdraw'],
      ['website_analytics', 'withdraw'],
      ['advertising', 'withdraw'],
      ['website_analytics', 'deny'],
    ]);
    const notice = await env.ctx.store.db
      .selectFrom('consent_notices')
      .select('sha256')
      .where('purpose_key', '=', 'advertising')
      .where('lang', '=', 'en')
      .where('policy_version', '=', '2026.1')
      .executeTakeFirstOrThrow();
    const ad = rows.find((r) => r.purpose_key === 'advertising')!;
    expect(Buffer.from(ad.notice_sha256!).equals(Buffer.from(notice.sha256))).toBe(true);
    for (const r of rows) {
      expect(r).toMatchObject({
        subject_id: null,
        controller_id: 'self',
        method: 'banner',
        policy_version: '2026.1',
        lang: 'en',
        ip_prefix: '127.0.0.0/24',
        gpc: 0,
        dnt: 0,
      });
      expect(Buffer.from(r.ua_hash!).toString('hex')).toBe(hex(UA));
      expect(r.notice_sha256).not.toBeNull();
    }
    expect(rows[0]!.source).toBe('banner:accept_all');
    // Never the full address, in the ledger or in the audit trail; never the visitor id either.
    const stored = JSON.stringify(rows.map((r) => ({ ...r, visitor_digest: null })));
    expect(stored).not.toContain('127.0.0.1');
    const audit = await auditEntries(env, 'consent.batch');
    expect(audit.join('\n')).not.toContain('127.0.0.1');
    expect(audit.join('\n')).not.toContain(visitor);
    // One batch event per event sent one at a time, each counting its records and naming the first.
    expect((await count(env, 'audit_events')) - before).toBe(4);
    const batches = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['seq', 'target_id'])
      .where('action', '=', 'consent.batch')
      .orderBy('seq', 'desc')
      .limit(4)
      .execute();
    expect(audit.slice(-4).map((a) => JSON.parse(a).details.records)).toEqual([2, 1, 3, 1]);
    // Each record names the batch event covering it; each batch is named after its first record.
    const seqs = batches.map((b) => Number(b.seq));
    for (const r of rows) expect(seqs, r.id).toContain(Number(r.audit_seq));
    for (const b of batches)
      expect(rows.filter((r) => Number(r.audit_seq) === Number(b.seq))[0]!.id).toBe(b.target_id);
  });

  it('takes GPC and DNT from the headers or the body; a signal only denies, a banner grant under GPC is kept', async () => {
    const gpcVisitor = randomUUID();
    const signal = (method: 'gpc' | 'dnt', visitor: string) =>
      event(
        visitor,
        [
          ['functional', false],
          ['analytics', false],
          ['marketing', false],
        ],
        { method, action: 'signal' },
      );
    const gpc = await post(signal('gpc', gpcVisitor), { 'sec-gpc': '1' });
    expect(gpc.status, gpc.text).toBe(201);
    const gpcRows = await visitorRecords(env, gpcVisitor);
    expect(gpcRows).toHaveLength(3);
    for (const r of gpcRows)
      expect(r).toMatchObject({
        decision: 'deny',
        method: 'gpc',
        gpc: 1,
        dnt: 0,
        notice_sha256: null,
      });

    const dntVisitor = randomUUID();
    expect((await post(signal('dnt', dntVisitor), { dnt: '1' })).status).toBe(201);
    for (const r of await visitorRecords(env, dntVisitor))
      expect(r).toMatchObject({ decision: 'deny', method: 'dnt', gpc: 0, dnt: 1 });

    // The DOM signal reported in the body counts as well; a header other than exactly "1" does not.
    const bodyVisitor = randomUUID();
    expect(
      (
        await post(event(bodyVisitor, [['analytics', false]], { gpc: true }), {
          'sec-gpc': 'true',
          dnt: '0',
        })
      ).status,
    ).toBe(201);
    expect(await visitorRecords(env, bodyVisitor)).toMatchObject([{ gpc: 1, dnt: 0 }]);

    // A person may still choose on the banner while GPC is on: recorded, with the signal noted.
    const chooser = randomUUID();
    const grant = await post(event(chooser, [['analytics', true]]), { 'sec-gpc': '1' });
    expect(grant.status, grant.text).toBe(201);
    expect(await visitorRecords(env, chooser)).toMatchObject([
      { decision: 'grant', method: 'banner', gpc: 1 },
    ]);

    // A signal cannot grant.
    const records = await count(env, 'consent_records');
    const bad = await post(
      event(randomUUID(), [['analytics', true]], { method: 'gpc', action: 'signal' }),
      { 'sec-gpc': '1' },
    );
    expectProblem(bad, 400, 'validation', '/body/decisions/0/granted');
    expect(await count(env, 'consent_records')).toBe(records);
  });

  it('refuses a bundled separate grant and accepts it alone; denials may be bundled', async () => {
    const visitor = randomUUID();
    const records = await count(env, 'consent_records');
    const audits = await count(env, 'audit_events');
    const bundled = await post(
      event(visitor, [
        ['analytics', true],
        ['marketing', true],
      ]),
    );
    expectProblem(bundled, 400, 'bundled-consent', '/body/decisions/1');
    expect(bundled.body.detail).toContain('marketing');
    expect(bundled.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(await count(env, 'consent_records')).toBe(records);
    expect(await count(env, 'audit_events')).toBe(audits);

    const alone = await post(event(visitor, [['marketing', true]]));
    expect(alone.status).toBe(201);
    const mixed = await post(
      event(visitor, [
        ['analytics', true],
        ['marketing', false],
      ]),
    );
    expect(mixed.status, mixed.text).toBe(201);
    expect(mixed.body.recorded.map((r: { decision: string }) => r.decision)).toEqual([
      'grant',
      'withdraw',
    ]);
  });

  it('answers every bad event with a clear 4xx and writes nothing', async () => {
    const v = randomUUID();
    const cases: Array<[string, () => Promise<Res>, number, string, string | undefined]> = [
      [
        'unknown category',
        () => post(event(v, [['tracking', true]])),
        400,
        'validation',
        '/body/decisions/0/category',
      ],
      [
        'essential category',
        () => post(event(v, [['necessary', true]])),
        400,
        'validation',
        '/body/decisions/0/category',
      ],
      [
        'unknown policy version',
        () => post(event(v, [['analytics', true]], { policyVersion: '1999.9' })),
        400,
        'validation',
        '/body/policyVersion',
      ],
      [
        'a category twice',
        () =>
          post(
            event(v, [
              ['analytics', true],
              ['analytics', false],
            ]),
          ),
        400,
        'validation',
        '/body/decisions/1/category',
      ],
      ['no decisions', () => post(event(v, [])), 400, 'validation', '/body/decisions'],
      [
        'too many decisions',
        () =>
          post(
            event(
              v,
              Array.from({ length: 17 }, (): [string, boolean] => ['analytics', false]),
            ),
          ),
        400,
        'validation',
        '/body/decisions',
      ],
      [
        'a visitor id that is not a UUID',
        () => post(event('visitor-1', [['analytics', true]])),
        400,
        'validation',
        '/body/visitorId',
      ],
      [
        'an unknown field',
        () => post(event(v, [['analytics', true]], { email: 'a@b.example' })),
        400,
        'validation',
        '/body/email',
      ],
      [
        'a string where a boolean belongs',
        () => post({ ...event(v, []), decisions: [{ category: 'analytics', granted: 'yes' }] }),
        400,
        'validation',
        '/body/decisions/0/granted',
      ],
      [
        'malformed JSON',
        () =>
          pub().send('POST', '/api/v1/consent/events', {
            raw: '{"visitorId": "',
            headers: { origin: SITE },
          }),
        400,
        'malformed-json',
        undefined,
      ],
      [
        'an oversized body',
        () =>
          pub().send('POST', '/api/v1/consent/events', {
            raw: JSON.stringify({ ...event(v, [['analytics', true]]), pad: 'x'.repeat(9000) }),
            headers: { origin: SITE },
          }),
        413,
        'payload-too-large',
        undefined,
      ],
      [
        'not JSON',
        () =>
          pub().send('POST', '/api/v1/consent/events', {
            raw: 'analytics=1',
            headers: { 'content-type': 'text/plain' },
          }),
        415,
        'unsupported-media-type',
        undefined,
      ],
    ];
    for (const [name, send, status, type, pointer] of cases) {
      const records = await count(env, 'consent_records');
      const audits = await count(env, 'audit_events');
      const res = await send();
      expect(res.status, `${name}: ${res.text}`).toBe(status);
      expectProblem(res, status, type, pointer);
      expect(res.text).not.toContain('a@b.example');
      expect(await count(env, 'consent_records'), name).toBe(records);
      expect(await count(env, 'audit_events'), name).toBe(audits);
    }
  });

  it('accepts an event under an older published version and records that version and its notice', async () => {
    const published = await officer.client.post('/api/v1/policies', {
      version: '2026.2',
      summaryEn: 'Analytics now also measures page speed.',
      summaryZh: '分析类 Cookie 现在也衡量页面速度。',
      notices: [
        {
          purpose: 'website_analytics',
          lang: 'en',
          text: 'Analytics cookies count visits, pages viewed and page speed.',
        },
      ],
    });
    expect(published.status, published.text).toBe(201);
    const visitor = randomUUID();
    const old = await post(event(visitor, [['analytics', true]]));
    expect(old.status, old.text).toBe(201);
    const current = await post(event(visitor, [['analytics', true]], { policyVersion: '2026.2' }));
    expect(current.status).toBe(201);
    const rows = await visitorRecords(env, visitor);
    expect(rows.map((r) => r.policy_version)).toEqual(['2026.1', '2026.2']);
    const seeded = await env.ctx.store.db
      .selectFrom('consent_notices')
      .select(['policy_version', 'sha256'])
      .where('purpose_key', '=', 'website_analytics')
      .where('lang', '=', 'en')
      .orderBy('policy_version')
      .execute();
    expect(rows.map((r) => Buffer.from(r.notice_sha256!).toString('hex'))).toEqual(
      seeded.map((n) => Buffer.from(n.sha256).toString('hex')),
    );
    expect(rows[1]!.notice_sha256).toEqual(
      Buffer.from(hex('Analytics cookies count visits, pages viewed and page speed.'), 'hex'),
    );
  });

  it('records 200 concurrent events exactly once each, and the audit chain verifies', async () => {
    const records = await count(env, 'consent_records');
    const audits = await count(env, 'audit_events');
    const visitors = Array.from({ length: 200 }, () => randomUUID());
    const results = await Promise.all(
      visitors.map((v, i) => post(event(v, [['analytics', i % 2 === 0]]))),
    );
    expect(results.map((r) => r.status)).toEqual(visitors.map(() => 201));
    const ids = results.map((r) => r.body.recorded[0].id as string);
    expect(new Set(ids).size).toBe(200);
    expect((await count(env, 'consent_records')) - records).toBe(200);
    // One batch event per flush (how many events a flush takes depends on arrival timing), every
    // record covered by exactly one of them.
    const batchEvents = (await count(env, 'audit_events')) - audits;
    expect(batchEvents).toBeGreaterThan(0);
    expect(batchEvents).toBeLessThanOrEqual(200);
    const covered = await env.ctx.store.db
      .selectFrom('consent_records')
      .select('audit_seq')
      .where('id', 'in', ids)
      .execute();
    expect(covered.every((r) => r.audit_seq !== null)).toBe(true);
    expect(new Set(covered.map((r) => Number(r.audit_seq))).size).toBe(batchEvents);
    for (const [i, v] of visitors.entries()) {
      const rows = await visitorRecords(env, v);
      expect(rows.map((r) => r.id)).toEqual([ids[i]]);
      expect(rows[0]!.decision).toBe(i % 2 === 0 ? 'grant' : 'deny');
    }
    const security = await loginAs(env, 'security_officer');
    const verified = await security.client.get('/api/v1/audit/verify');
    expect(verified.status).toBe(200);
    expect(verified.body.ok).toBe(true);
    const ledger = await security.client.get('/api/v1/consents/verify');
    expect(ledger.status, ledger.text).toBe(200);
    expect(ledger.body).toMatchObject({ ok: true, problemCount: 0 });
    expect(ledger.body.records).toBe(await count(env, 'consent_records'));
    expect(env.logs.join('')).not.toContain(visitors[0]!);
  });
});
