// Helpers shared by the public consent API test files (config, events, receipts): the banner's
// event body, the problem shape of a refused call, and counts and audit entries read straight from
// the database.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { TestEnv } from './env.js';
import { Client, type Res } from './http.js';

/** The site the banner runs on (listed in CUSTOS_CONSENT_ORIGINS by the tests that need it). */
export const SITE = 'https://shop.example.com';
export const UA = 'Mozilla/5.0 (X11; Linux x86_64) ConsentTest/1.0';
/** Settings of the event and receipt tests: the site and a blog allowed, no per-network limit. */
export const CONSENT_API_SETTINGS = {
  CUSTOS_CONSENT_ORIGINS: `${SITE},https://blog.example.com`,
  CUSTOS_CONSENT_EVENTS_PER_MINUTE: '0',
  CUSTOS_BASE_URL: 'https://privacy.example.test',
};

/** POSTs a consent event as the banner on SITE would, with a browser's user agent. */
export const postEvent = (env: TestEnv, body: unknown, headers: Record<string, string> = {}) =>
  new Client(env.url).send('POST', '/api/v1/consent/events', {
    body,
    headers: { 'user-agent': UA, origin: SITE, ...headers },
  });

export const hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function expectProblem(res: Res, status: number, type: string, pointer?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.type).toBe(`urn:custos:problem:${type}`);
  if (pointer !== undefined)
    expect(res.body.errors?.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
}

export async function count(
  env: TestEnv,
  table: 'consent_records' | 'audit_events',
): Promise<number> {
  const r = await env.ctx.store.db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function auditEntries(env: TestEnv, action: string): Promise<string[]> {
  const rows = await env.ctx.store.db
    .selectFrom('audit_events')
    .select('entry')
    .where('action', '=', action)
    .orderBy('seq')
    .execute();
  return rows.map((r) => Buffer.from(r.entry).toString('utf8'));
}

export const event = (visitorId: string, decisions: Array<[string, boolean]>, extra = {}) => ({
  visitorId,
  policyVersion: '2026.1',
  lang: 'en',
  method: 'banner',
  action: 'save',
  decisions: decisions.map(([category, granted]) => ({ category, granted })),
  ...extra,
});
