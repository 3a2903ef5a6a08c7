// The public consent API's answers to the banner and to other origins, over HTTP on SQLite and
// PostgreSQL: the banner configuration, CORS for listed and unlisted origins, and the defaults
// (any origin, events limited per client network).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, event, expectProblem, hex, SITE } from '../../test/support/consent.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Staff } from '../../test/support/http.js';

describe.each(DB_KINDS)('consent API configuration and CORS on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  const pub = () => new Client(env.url);

  beforeAll(async () => {
    env = await makeEnv(kind, {
      CUSTOS_CONSENT_ORIGINS: `${SITE},https://blog.example.com`,
      CUSTOS_CONSENT_EVENTS_PER_MINUTE: '0',
      CUSTOS_BASE_URL: 'https://privacy.example.test',
    });
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => env?.close());

  it('serves the banner configuration from the latest policy version, cacheable', async () => {
    const zh = await pub().get('/api/v1/consent/config');
    expect(zh.status).toBe(200);
    expect(zh.headers.get('cache-control')).toBe('public, max-age=60');
    expect(zh.body).toMatchObject({ policyVersion: '2026.1', lang: 'zh-CN', validDays: 365 });
    expect(zh.body.categories.map((c: { key: string }) => c.key)).toEqual([
      'necessary',
      'functional',
      'analytics',
      'marketing',
    ]);
    const en = await pub().get('/api/v1/consent/config?lang=en');
    expect(en.status).toBe(200);
    const byKey = Object.fromEntries(
      en.body.categories.map((c: { key: string }) => [c.key, c]),
    ) as Record<string, Record<string, unknown>>;
    expect(byKey.necessary).toMatchObject({
      purpose: null,
      essential: true,
      separate: false,
      name: 'Strictly necessary',
      notice: 'Strictly necessary',
      noticeSha256: hex('Strictly necessary'),
      revision: '2026.1',
      gcm: ['security_storage'],
    });
    expect(byKey.marketing).toMatchObject({
      purpose: 'advertising',
      essential: false,
      separate: true,
      revision: '2026.1',
      services: [{ name: 'Advertising partner', cookies: ['_gcl_au', '_fbp'] }],
      gcm: ['ad_storage', 'ad_user_data', 'ad_personalization'],
    });
    const seeded = await env.ctx.store.db
      .selectFrom('consent_notices')
      .select(['text', 'sha256'])
      .where('purpose_key', '=', 'website_analytics')
      .where('lang', '=', 'en')
      .executeTakeFirstOrThrow();
    expect(byKey.analytics).toMatchObject({
      purpose: 'website_analytics',
      separate: false,
      notice: seeded.text,
      noticeSha256: Buffer.from(seeded.sha256).toString('hex'),
    });
    expect(zh.body.categories[2].notice).toContain('分析类 Cookie');

    expectProblem(await pub().get('/api/v1/consent/config?lang=fr'), 400, 'validation');
  });

  it('answers CORS for listed origins only, with preflight', async () => {
    const preflight = await pub().send('OPTIONS', '/api/v1/consent/events', {
      headers: {
        origin: 'https://blog.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://blog.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    expect(preflight.headers.get('vary')).toContain('Origin');

    const stranger = await pub().send('OPTIONS', '/api/v1/consent/events', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(stranger.headers.get('access-control-allow-methods')).toBeNull();

    const config = await pub().get('/api/v1/consent/config', { headers: { origin: SITE } });
    expect(config.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(config.headers.get('vary')).toContain('Origin');
    const foreign = await pub().get('/api/v1/consent/config', {
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    // Staff routes never answer CORS.
    const staff = await officer.client.get('/api/v1/consents', { headers: { origin: SITE } });
    expect(staff.status).toBe(200);
    expect(staff.headers.get('access-control-allow-origin')).toBeNull();
    // The CSP of API answers is unchanged: JSON needs none to be read cross-origin.
    expect(config.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe.each(DB_KINDS)('consent API defaults on %s', (kind) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv(kind, { CUSTOS_CONSENT_EVENTS_PER_MINUTE: '3' });
  });
  afterAll(async () => env?.close());

  it('allows any origin by default and limits events per client network', async () => {
    const c = new Client(env.url);
    const preflight = await c.send('OPTIONS', '/api/v1/consent/config', {
      headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('vary')).toBeNull();

    const send = () =>
      c.post('/api/v1/consent/events', event(randomUUID(), [['analytics', false]]), {
        headers: { origin: 'https://anywhere.example' },
      });
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(201);
    const records = await count(env, 'consent_records');
    const limited = await send();
    expectProblem(limited, 429, 'too-many-requests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    expect(await count(env, 'consent_records')).toBe(records);
  });
});
