// The banner scripts and gpc.json over real HTTP, on SQLite and PostgreSQL: the gate's size budget
// (gzip level 9 ≤ 6 KiB, the number the issue sets; this test is the gate that fails the build
// above it), content type, caching and validators, gzip negotiation, the headers that let other
// origins load them, and the GPC declaration following the policy version in force.
import http from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { loginAs } from '../../../test/support/http.js';
import { GATE_BUDGET_BYTES } from './bundle.js';

interface RawRes {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request that leaves the body as sent (fetch would undo the gzip). */
function raw(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawRes> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the gate budget', () => {
  it('is the 6 KiB the issue sets', () => {
    expect(GATE_BUDGET_BYTES).toBe(6144);
  });
});

describe.each(DB_KINDS)('banner scripts and gpc.json on %s', (kind) => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await makeEnv(kind);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('serves the gate minified, within budget at gzip level 9', async () => {
    const res = await raw(env.url, '/consent.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['content-encoding']).toBeUndefined();
    const text = res.body.toString('utf8');
    // Minified: no comments, no indentation, and still the gate.
    expect(text).not.toMatch(/\/\/ |\/\*/);
    expect(text).not.toMatch(/\n {2}/);
    expect(text).toContain('wait_for_update');
    expect(text).toContain('/consent-ui.js');
    const gzipped = gzipSync(res.body, { level: 9 }).length;
    expect(gzipped).toBeLessThanOrEqual(GATE_BUDGET_BYTES);
  });

  it('serves gzip when asked, the same bytes, and identity when gzip is refused', async () => {
    const plain = await raw(env.url, '/consent.js');
    const gz = await raw(env.url, '/consent.js', { 'accept-encoding': 'br, gzip' });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toMatch(/accept-encoding/i);
    expect(gz.body.length).toBeLessThanOrEqual(GATE_BUDGET_BYTES);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(gz.headers.etag).toBe(plain.headers.etag);

    const refused = await raw(env.url, '/consent.js', { 'accept-encoding': 'gzip;q=0, br' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.equals(plain.body)).toBe(true);
  });

  it('may be loaded by pages of any origin and cached for five minutes', async () => {
    const res = await raw(env.url, '/consent.js', { origin: 'https://shop.example' });
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['set-cookie']).toBeUndefined();
    // Only these routes: every other answer stays same-origin.
    const other = await raw(env.url, '/healthz');
    expect(other.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 304 to its own validator and 200 to another', async () => {
    const first = await raw(env.url, '/consent.js');
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);

    const same = await raw(env.url, '/consent.js', { 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(same.body.length).toBe(0);
    expect(same.headers.etag).toBe(etag);
    expect(same.headers['cache-control']).toBe('public, max-age=300');
    // A strong form of the same tag and a list holding it match too (weak comparison).
    const strong = etag.replace(/^W\//, '');
    expect((await raw(env.url, '/consent.js', { 'if-none-match': strong })).status).toBe(304);
    expect(
      (await raw(env.url, '/consent.js', { 'if-none-match': `"other", ${etag}` })).status,
    ).toBe(304);

    const other = await raw(env.url, '/consent.js', { 'if-none-match': '"not-this-one"' });
    expect(other.status).toBe(200);
    expect(other.body.equals(first.body)).toBe(true);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await raw(env.url, '/consent.js', {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.body.length).toBe(0);
  });

  it('serves the banner UI the same way, in both languages', async () => {
    const res = await raw(env.url, '/consent-ui.js', { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const text = gunzipSync(res.body).toString('utf8');
    expect(text).toContain('Reject all');
    expect(text).toContain('全部拒绝');
    expect(res.headers.etag).not.toBe((await raw(env.url, '/consent.js')).headers.etag);
  });

  it('refuses writes to the scripts and unknown script names', async () => {
    const post = await raw(env.url, '/consent.js', {}, 'POST');
    expect(post.status).toBe(404);
    expect(post.headers['content-type']).toMatch(/^application\/problem\+json/);
    const unknown = await raw(env.url, '/consent-admin.js');
    expect(unknown.status).toBe(404);
  });

  it('declares GPC support dated by the policy version in force', async () => {
    const res = await raw(env.url, '/.well-known/gpc.json', { origin: 'https://checker.example' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    // The seeded first version was published on 2026-11-01.
    expect(JSON.parse(res.body.toString('utf8'))).toEqual({ gpc: true, lastUpdate: '2026-11-01' });

    const officer = await loginAs(env, 'privacy_officer');
    const published = await officer.client.post('/api/v1/policies', {
      version: `gpc-${kind}`,
      summaryEn: 'Analytics notice clarified.',
      summaryZh: '澄清了分析类 Cookie 的说明。',
      notices: [
        { purpose: 'website_analytics', lang: 'en', text: 'Analytics cookies count visits.' },
        { purpose: 'website_analytics', lang: 'zh-CN', text: '分析类 Cookie 统计访问次数。' },
      ],
    });
    expect(published.status).toBe(201);
    // The answer is reused for a minute; after that it names the new publication date.
    env.clock.advance(61_000);
    const later = await raw(env.url, '/.well-known/gpc.json');
    const doc = JSON.parse(later.body.toString('utf8'));
    expect(doc.gpc).toBe(true);
    const row = await env.ctx.store.db
      .selectFrom('policy_versions')
      .select('published_at')
      .where('version', '=', `gpc-${kind}`)
      .executeTakeFirstOrThrow();
    expect(doc.lastUpdate).toBe(row.published_at.slice(0, 10));
    expect(doc.lastUpdate).not.toBe('2026-11-01');
    expect(Object.keys(doc).sort()).toEqual(['gpc', 'lastUpdate']);
  });
});
