// Policy versions over HTTP on SQLite and PostgreSQL: list and read, publish a new version (notices
// carried over, changed purposes named, audited), the banner configuration following at once in
// this process and within the cache lifetime for a change made elsewhere, and every bad input a
// clear 4xx that writes nothing.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Res, type Staff } from '../../test/support/http.js';
import { CATALOG_TTL_MS } from '../consent/catalog.js';

const hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function expectProblem(res: Res, status: number, type: string, pointer?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body.type).toBe(`urn:custos:problem:${type}`);
  if (pointer !== undefined)
    expect(res.body.errors?.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
}

async function count(env: TestEnv, table: 'policy_versions' | 'consent_notices' | 'audit_events') {
  const r = await env.ctx.store.db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

type Category = { key: string; revision: string; notice: string; noticeSha256: string };
const category = (res: Res, key: string): Category =>
  (res.body.categories as Category[]).find((c) => c.key === key)!;

describe.each(DB_KINDS)('policy versions on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let handler: Staff;
  const config = (lang: 'en' | 'zh-CN') =>
    new Client(env.url).get(`/api/v1/consent/config?lang=${lang}`);

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    handler = await loginAs(env, 'request_handler');
  });
  afterAll(async () => env?.close());

  it('lists and reads the seeded version with the exact text and hash of each notice', async () => {
    const list = await handler.client.get('/api/v1/policies');
    expect(list.status).toBe(200);
    expect(list.body.items).toMatchObject([{ version: '2026.1' }]);
    expect(list.body.items[0].changedPurposes).toContain('marketing');
    const one = await handler.client.get('/api/v1/policies/2026.1');
    expect(one.status).toBe(200);
    expect(one.body.notices).toHaveLength(12);
    for (const n of one.body.notices as Array<{ text: string; sha256: string }>)
      expect(n.sha256).toBe(hex(n.text));
    expectProblem(await handler.client.get('/api/v1/policies/1999.1'), 404, 'not-found');
    expectProblem(await handler.client.get('/api/v1/policies/bad%20version'), 400, 'validation');
    const security = await loginAs(env, 'security_officer');
    expectProblem(await security.client.get('/api/v1/policies'), 403, 'forbidden');
  });

  it('publishes a version: changed notices replace, others carry over, the banner follows at once', async () => {
    // Loaded (and cached) before the publication.
    expect((await config('en')).body.policyVersion).toBe('2026.1');
    const text = 'Analytics cookies count visits and pages viewed, kept for 13 months.';
    const res = await officer.client.post('/api/v1/policies', {
      version: '2026.2',
      summaryEn: 'Analytics retention stated.',
      summaryZh: '说明了分析数据的保存期限。',
      notices: [
        { purpose: 'website_analytics', lang: 'en', text },
        // The same text as before: not a change.
        {
          purpose: 'website_preferences',
          lang: 'en',
          text: 'Functional cookies remember choices such as your language. They are set only if you allow them.',
        },
      ],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ version: '2026.2', changedPurposes: ['website_analytics'] });
    expect(res.body.notices).toHaveLength(12);
    const analytics = res.body.notices.find(
      (n: { purpose: string; lang: string }) =>
        n.purpose === 'website_analytics' && n.lang === 'en',
    );
    expect(analytics).toMatchObject({ text, sha256: hex(text) });

    const en = await config('en');
    expect(en.body.policyVersion).toBe('2026.2');
    expect(category(en, 'analytics')).toMatchObject({
      revision: '2026.2',
      notice: text,
      noticeSha256: hex(text),
    });
    expect(category(en, 'functional').revision).toBe('2026.1');
    expect(category(en, 'marketing').revision).toBe('2026.1');
    expect(category(en, 'necessary').revision).toBe('2026.1');
    // The revision belongs to the purpose, not the language: the Chinese banner asks again too.
    const zh = await config('zh-CN');
    expect(category(zh, 'analytics').revision).toBe('2026.2');
    expect(category(zh, 'analytics').notice).toContain('分析类 Cookie');

    // A later version that changes nothing else keeps analytics at the revision it changed in.
    const next = await officer.client.post('/api/v1/policies', {
      version: '2026.3',
      summaryEn: 'Contact address updated.',
      summaryZh: '更新了联系地址。',
      notices: [],
    });
    expect(next.status).toBe(201);
    expect(next.body.changedPurposes).toEqual([]);
    const after = await config('en');
    expect(after.body.policyVersion).toBe('2026.3');
    expect(category(after, 'analytics').revision).toBe('2026.2');

    const list = await handler.client.get('/api/v1/policies');
    expect(list.body.items.map((p: { version: string }) => p.version)).toEqual([
      '2026.3',
      '2026.2',
      '2026.1',
    ]);
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('entry')
      .where('action', '=', 'policy.publish')
      .orderBy('seq')
      .execute();
    expect(audit).toHaveLength(2);
    expect(Buffer.from(audit[0]!.entry).toString('utf8')).toContain(
      '"changed":["website_analytics"]',
    );
  });

  it('refuses bad publications with a clear 4xx and writes nothing', async () => {
    const base = { summaryEn: 'A summary.', summaryZh: '摘要。', notices: [] };
    const cases: Array<[string, () => Promise<Res>, number, string, string | undefined]> = [
      [
        'existing version',
        () => officer.client.post('/api/v1/policies', { ...base, version: '2026.1' }),
        409,
        'conflict',
        undefined,
      ],
      [
        'unknown purpose',
        () =>
          officer.client.post('/api/v1/policies', {
            ...base,
            version: '2027.1',
            notices: [{ purpose: 'no_such_purpose', lang: 'en', text: 'Text.' }],
          }),
        400,
        'validation',
        '/body/notices/0/purpose',
      ],
      [
        'a notice twice',
        () =>
          officer.client.post('/api/v1/policies', {
            ...base,
            version: '2027.1',
            notices: [
              { purpose: 'marketing', lang: 'en', text: 'One.' },
              { purpose: 'marketing', lang: 'en', text: 'Two.' },
            ],
          }),
        400,
        'validation',
        '/body/notices/1',
      ],
      [
        'a bad version label',
        () => officer.client.post('/api/v1/policies', { ...base, version: 'v 2027/1' }),
        400,
        'validation',
        '/body/version',
      ],
      [
        'a version like a phone number',
        () => officer.client.post('/api/v1/policies', { ...base, version: '13800138000' }),
        400,
        'validation',
        '/body/version',
      ],
      [
        'an unknown language',
        () =>
          officer.client.post('/api/v1/policies', {
            ...base,
            version: '2027.1',
            notices: [{ purpose: 'marketing', lang: 'fr', text: 'Texte.' }],
          }),
        400,
        'validation',
        '/body/notices/0/lang',
      ],
      [
        'no summary',
        () =>
          officer.client.post('/api/v1/policies', {
            version: '2027.1',
            summaryZh: '摘要。',
            notices: [],
          }),
        400,
        'validation',
        '/body/summaryEn',
      ],
      [
        'no consents.manage permission',
        () => handler.client.post('/api/v1/policies', { ...base, version: '2027.1' }),
        403,
        'forbidden',
        undefined,
      ],
    ];
    for (const [name, send, status, type, pointer] of cases) {
      const before = await Promise.all([
        count(env, 'policy_versions'),
        count(env, 'consent_notices'),
      ]);
      const res = await send();
      expect(res.status, `${name}: ${res.text}`).toBe(status);
      expectProblem(res, status, type, pointer);
      expect(
        await Promise.all([count(env, 'policy_versions'), count(env, 'consent_notices')]),
        name,
      ).toEqual(before);
    }
  });

  it('picks up a version published by another instance within the cache lifetime', async () => {
    const published = await officer.client.post('/api/v1/policies', {
      version: '2026.4',
      summaryEn: 'Published here.',
      summaryZh: '在本实例发布。',
      notices: [],
    });
    expect(published.status).toBe(201);
    // Loaded afresh after this process's publication.
    expect((await config('en')).body.policyVersion).toBe('2026.4');
    const at = new Date(Date.now() + 60_000).toISOString();
    // Another instance publishing: rows written straight to the shared database.
    await env.ctx.store.db
      .insertInto('policy_versions')
      .values({
        version: '2026.9',
        published_at: at,
        summary_en: 'Published elsewhere.',
        summary_zh: '在其他实例发布。',
        changed_purposes: '[]',
        created_at: at,
      })
      .execute();
    // Still the cached answer right now (no database read per request)...
    expect((await config('en')).body.policyVersion).toBe('2026.4');
    // ...and the new version once the cache lifetime has passed.
    await vi.waitFor(async () => expect((await config('en')).body.policyVersion).toBe('2026.9'), {
      timeout: CATALOG_TTL_MS * 4,
      interval: 500,
    });
  });
});
