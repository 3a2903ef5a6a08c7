// Helpers shared by the public consent API test files (config, events, receipts): the banner's
// event body, the problem shape of a refused call, and counts and audit entries read straight from
// the database.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { TestEnv } from './env.js';
import type { Res } from './http.js';

/** The site the banner runs on (listed in CUSTOS_CONSENT_ORIGINS by the tests that need it). */
export const SITE = 'https://shop.example.com';
export const UA = 'Mozilla/5.0 (X11; Linux x86_64) ConsentTest/1.0';
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
