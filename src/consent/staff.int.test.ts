// The consent ledger for staff, and separate consent in processing, over HTTP on SQLite and
// PostgreSQL: decisions recorded on a person's behalf (with a reason, the separate-consent rule
// applied), one person's state and history, the paged and filtered ledger within the caller's
// controller scope, permissions, and the subjects API refusing PI under a separate-consent purpose
// until the person's current decision is a grant.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Res, type Staff } from '../../test/support/http.js';

function expectProblem(res: Res, status: number, type: string, pointer?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body.type).toBe(`urn:custos:problem:${type}`);
  if (pointer !== undefined)
    expect(res.body.errors?.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
}

type Table = 'consent_records' | 'subjects' | 'pi_records' | 'audit_events';
async function count(env: TestEnv, table: Table): Promise<number> {
  const r = await env.ctx.store.db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

const cookieRecord = {
  category: 'cookie_id',
  purpose: 'advertising',
  value: 'ga1.2.3456',
  source: 'api',
};

describe.each(DB_KINDS)('consents for staff on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let handler: Staff;
  let security: Staff;
  let auditor: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    handler = await loginAs(env, 'request_handler');
    security = await loginAs(env, 'security_officer');
    auditor = await loginAs(env, 'auditor');
  });
  afterAll(async () => env?.close());

  async function makeSubject(email: string, controllerId?: string): Promise<string> {
    const res = await officer.client.post('/api/v1/subjects', {
      ...(controllerId === undefined ? {} : { controllerId }),
      records: [{ category: 'email', purpose: 'marketing', value: email, source: 'web_form' }],
    });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  }

  const record = (staff: Staff, id: string, body: Record<string, unknown>) =>
    staff.client.post(`/api/v1/consents/subjects/${id}`, {
      reason: 'Consent given on the phone, call logged',
      ...body,
    });

  it('records decisions taken by staff, with the separate-consent rule, and shows state and history', async () => {
    const id = await makeSubject('qian.li@example.net');
    const granted = await record(handler, id, {
      decisions: [{ purpose: 'marketing', granted: true }],
      lang: 'en',
    });
    expect(granted.status, granted.text).toBe(201);
    expect(granted.body.recorded).toMatchObject([
      {
        party: 'subject',
        subjectId: id,
        purpose: 'marketing',
        decision: 'grant',
        method: 'api',
        source: 'staff',
        policyVersion: '2026.1',
        lang: 'en',
      },
    ]);
    expect(granted.body.recorded[0].noticeSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(granted.body.purposes).toMatchObject([{ purpose: 'marketing', state: 'granted' }]);
    // The reason is in the audit trail, attributed to the staff member.
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['entry', 'actor_id'])
      .where('action', '=', 'consent.record')
      .where('target_id', '=', granted.body.recorded[0].id)
      .executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(handler.id);
    expect(Buffer.from(audit.entry).toString('utf8')).toContain('Consent given on the phone');

    // A separate-consent grant cannot come with anything else; alone it is recorded.
    const records = await count(env, 'consent_records');
    const bundled = await record(handler, id, {
      decisions: [
        { purpose: 'marketing', granted: false },
        { purpose: 'advertising', granted: true },
      ],
    });
    expectProblem(bundled, 400, 'bundled-consent', '/body/decisions/1');
    expect(bundled.body.detail).toContain('advertising');
    expect(await count(env, 'consent_records')).toBe(records);
    const alone = await record(handler, id, {
      decisions: [{ purpose: 'advertising', granted: true }],
    });
    expect(alone.status).toBe(201);

    // No to a granted purpose is a withdrawal.
    const no = await record(handler, id, { decisions: [{ purpose: 'marketing', granted: false }] });
    expect(no.body.recorded[0].decision).toBe('withdraw');

    const view = await auditor.client.get(`/api/v1/consents/subjects/${id}`);
    expect(view.status).toBe(200);
    expect(view.body.purposes).toMatchObject([
      { purpose: 'advertising', state: 'granted' },
      { purpose: 'marketing', state: 'withdrawn' },
    ]);
    expect(view.body.history.map((h: { decision: string }) => h.decision)).toEqual([
      'grant',
      'grant',
      'withdraw',
    ]);
    expect(view.text).not.toContain('qian.li');
    const reads = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['actor_id', 'target_id'])
      .where('action', '=', 'consent.read')
      .where('target_id', '=', id)
      .execute();
    expect(reads).toEqual([{ actor_id: auditor.id, target_id: id }]);
    expectProblem(
      await auditor.client.get(`/api/v1/consents/subjects/${randomUUID()}`),
      404,
      'not-found',
    );
  });

  it('refuses bad staff decisions with a clear 4xx and writes nothing', async () => {
    const id = await makeSubject('sun.qi@example.net');
    const cases: Array<[string, () => Promise<Res>, number, string, string | undefined]> = [
      [
        'unknown purpose',
        () => record(handler, id, { decisions: [{ purpose: 'no_such_purpose', granted: true }] }),
        400,
        'validation',
        '/body/decisions/0/purpose',
      ],
      [
        'a purpose not based on consent',
        () => record(handler, id, { decisions: [{ purpose: 'contract', granted: true }] }),
        400,
        'validation',
        '/body/decisions/0/purpose',
      ],
      [
        'a purpose twice',
        () =>
          record(handler, id, {
            decisions: [
              { purpose: 'marketing', granted: true },
              { purpose: 'marketing', granted: false },
            ],
          }),
        400,
        'validation',
        '/body/decisions/1/purpose',
      ],
      [
        'personal data in the reason',
        () =>
          record(handler, id, {
            decisions: [{ purpose: 'marketing', granted: true }],
            reason: 'She wrote from sun.qi@example.net',
          }),
        400,
        'validation',
        '/body/reason',
      ],
      [
        'no reason',
        () =>
          handler.client.post(`/api/v1/consents/subjects/${id}`, {
            decisions: [{ purpose: 'marketing', granted: true }],
          }),
        400,
        'validation',
        '/body/reason',
      ],
      [
        'unknown subject',
        () =>
          record(handler, randomUUID(), { decisions: [{ purpose: 'marketing', granted: true }] }),
        404,
        'not-found',
        undefined,
      ],
      [
        'no subjects.write permission',
        () => record(auditor, id, { decisions: [{ purpose: 'marketing', granted: true }] }),
        403,
        'forbidden',
        undefined,
      ],
    ];
    for (const [name, send, status, type, pointer] of cases) {
      const records = await count(env, 'consent_records');
      const res = await send();
      expect(res.status, `${name}: ${res.text}`).toBe(status);
      expectProblem(res, status, type, pointer);
      expect(res.text).not.toContain('sun.qi@example.net');
      expect(await count(env, 'consent_records'), name).toBe(records);
    }
  });

  it('lists the ledger newest first, filtered and paged, within the caller scope', async () => {
    const id = await makeSubject('zhao.liu@example.net');
    await record(officer, id, { decisions: [{ purpose: 'marketing', granted: true }] });
    await record(officer, id, { decisions: [{ purpose: 'marketing', granted: false }] });
    // A banner visitor's records are in the ledger too (controller self), without a subject.
    const visitor = await new Client(env.url).post('/api/v1/consent/events', {
      visitorId: randomUUID(),
      policyVersion: '2026.1',
      lang: 'en',
      method: 'banner',
      decisions: [{ category: 'analytics', granted: true }],
    });
    expect(visitor.status).toBe(201);

    const mine = await handler.client.get(`/api/v1/consents?subjectId=${id}`);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((r: { decision: string }) => r.decision)).toEqual([
      'withdraw',
      'grant',
    ]);
    const page1 = await handler.client.get(`/api/v1/consents?subjectId=${id}&limit=1`);
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.next).toBe(page1.body.items[0].id);
    const page2 = await handler.client.get(
      `/api/v1/consents?subjectId=${id}&limit=1&after=${page1.body.next}`,
    );
    expect(page2.body.items.map((r: { decision: string }) => r.decision)).toEqual(['grant']);
    expect(page2.body.next).toBeNull();

    const banner = await handler.client.get(
      '/api/v1/consents?method=banner&purpose=website_analytics',
    );
    expect(banner.body.items.length).toBeGreaterThan(0);
    for (const r of banner.body.items)
      expect(r).toMatchObject({ party: 'visitor', subjectId: null, method: 'banner' });
    expect(banner.text).not.toContain('visitor_digest');
    expect(banner.text).not.toContain('127.0.0');
    const withdrawals = await handler.client.get('/api/v1/consents?decision=withdraw');
    for (const r of withdrawals.body.items) expect(r.decision).toBe('withdraw');
    expectProblem(await handler.client.get('/api/v1/consents?decision=maybe'), 400, 'validation');
    expectProblem(await handler.client.get('/api/v1/consents?limit=500'), 400, 'validation');

    // Without consents.read: 403. Scoped to another controller: nothing of self's.
    expectProblem(await security.client.get('/api/v1/consents'), 403, 'forbidden');
    expectProblem(await security.client.get(`/api/v1/consents/subjects/${id}`), 403, 'forbidden');
    const admin = await loginAs(env, 'admin');
    const other = await admin.client.post('/api/v1/controllers', {
      slug: `client-${kind}`,
      name: 'Client Co',
      contactEmail: 'dpo@client.example',
    });
    expect(other.status, other.text).toBe(201);
    const scoped = await loginAs(env, 'request_handler', { controllers: [other.body.id] });
    const none = await scoped.client.get('/api/v1/consents');
    expect(none.status).toBe(200);
    expect(none.body.items).toEqual([]);
    expectProblem(await scoped.client.get(`/api/v1/consents/subjects/${id}`), 404, 'not-found');
    expectProblem(
      await record(scoped, id, { decisions: [{ purpose: 'marketing', granted: true }] }),
      404,
      'not-found',
    );
    const theirs = await makeSubject('li.ba@example.net', other.body.id);
    await record(officer, theirs, { decisions: [{ purpose: 'marketing', granted: true }] });
    const seen = await scoped.client.get('/api/v1/consents');
    expect(seen.body.items.map((r: { subjectId: string }) => r.subjectId)).toEqual([theirs]);
  });

  it('stores PI under a separate-consent purpose only on the person’s current grant', async () => {
    // A new subject cannot have consented: refused whole, nothing written.
    const before = await Promise.all([
      count(env, 'subjects'),
      count(env, 'pi_records'),
      count(env, 'audit_events'),
    ]);
    const fresh = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'email',
          purpose: 'marketing',
          value: 'wu.jiu@example.net',
          source: 'web_form',
        },
        cookieRecord,
      ],
    });
    expectProblem(fresh, 409, 'consent-required');
    expect(fresh.body.detail).toContain('"advertising"');
    expect(fresh.body.detail).toContain('/api/v1/consents/subjects/');
    expect(fresh.text).not.toContain('ga1.2.3456');
    expect(
      await Promise.all([
        count(env, 'subjects'),
        count(env, 'pi_records'),
        count(env, 'audit_events'),
      ]),
    ).toEqual(before);

    const id = await makeSubject('wu.jiu@example.net');
    const add = () =>
      officer.client.post(`/api/v1/subjects/${id}/records`, { records: [cookieRecord] });
    const records = await count(env, 'pi_records');
    const refused = await add();
    expectProblem(refused, 409, 'consent-required');
    expect(refused.body.detail).toContain('"none"');
    expect(await count(env, 'pi_records')).toBe(records);

    // Denied: still refused.
    await record(officer, id, { decisions: [{ purpose: 'advertising', granted: false }] });
    expectProblem(await add(), 409, 'consent-required');

    await record(officer, id, { decisions: [{ purpose: 'advertising', granted: true }] });
    const stored = await add();
    expect(stored.status, stored.text).toBe(201);
    expect(await count(env, 'pi_records')).toBe(records + 1);

    // Withdrawn: refused again.
    await record(officer, id, { decisions: [{ purpose: 'advertising', granted: false }] });
    const after = await add();
    expectProblem(after, 409, 'consent-required');
    expect(after.body.detail).toContain('"withdrawn"');
    expect(await count(env, 'pi_records')).toBe(records + 1);

    // Purposes that need no separate consent are unaffected.
    const plain = await officer.client.post(`/api/v1/subjects/${id}/records`, {
      records: [{ category: 'name', purpose: 'marketing', value: '吴九', source: 'web_form' }],
    });
    expect(plain.status).toBe(201);
  });
});
