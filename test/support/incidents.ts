// Helpers shared by the incident register test files (clocks, notices, input rules): a Custos with
// an SMTP sink and two staff, the incident body and its creation, subjects to link, and the shape
// of a refused request that wrote nothing.
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { DbKind } from './db.js';
import { makeEnv, type TestEnv } from './env.js';
import { loginAs, type Res, type Staff } from './http.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

export const I = '/api/v1/incidents';
export const HOUR = 3600_000;
const TABLES = ['incidents', 'incident_subjects', 'outbox', 'audit_events'] as const;

export const details = {
  cause: 'A misconfigured storage bucket was publicly readable.',
  possibleHarm: 'Unwanted marketing mail and phishing attempts.',
  remediesTaken: 'The bucket was closed and access keys were rotated.',
  personActions: 'Be wary of mails asking for passwords; do not click unknown links.',
};

export interface IncidentsEnv {
  env: TestEnv;
  sink: SmtpSink;
  officer: Staff;
  auditor: Staff;
}

/** A Custos delivering to a fresh SMTP sink, with a privacy officer and an auditor logged in. */
export async function startIncidentsEnv(kind: DbKind): Promise<IncidentsEnv> {
  const sink = await startSmtpSink();
  const env = await makeEnv(kind, {
    CUSTOS_SMTP_URL: sink.url,
    CUSTOS_OUTBOX_POLL_SECONDS: '0',
    CUSTOS_MAIL_FROM: 'Privacy <privacy@custos.test>',
    CUSTOS_PRIVACY_CONTACT: 'Privacy office, 1 Example Road, Beijing',
  });
  const officer = await loginAs(env, 'privacy_officer');
  const auditor = await loginAs(env, 'auditor');
  return { env, sink, officer, auditor };
}

/** The env's clock time moved by `offsetMs`, as an ISO string. */
export const isoAt = (env: TestEnv, offsetMs = 0) =>
  new Date(env.clock.now().getTime() + offsetMs).toISOString();
export const plus = (at: string, ms: number) => new Date(Date.parse(at) + ms).toISOString();

/** Row counts of every table an incident action writes. */
export async function incidentCounts(env: TestEnv) {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await env.ctx.store.db
      .selectFrom(t)
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}

/** A refused request: the problem names the field, and nothing was written. */
export async function expectRefused(
  env: TestEnv,
  send: () => Promise<Res>,
  status: number,
  type: string,
  pointer?: string,
): Promise<Res> {
  const before = await incidentCounts(env);
  const res = await send();
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.type).toBe(`urn:custos:problem:${type}`);
  if (pointer !== undefined) {
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(res.body.detail).toContain(pointer);
  }
  expect(await incidentCounts(env)).toEqual(before);
  return res;
}

/** A subject with one consultation record: the e-mail address, or a phone number when null. */
export async function createSubject(who: Staff, email: string | null): Promise<string> {
  const records = [
    email === null
      ? { category: 'phone', purpose: 'consultation', value: '13900001111', source: 'web_form' }
      : { category: 'email', purpose: 'consultation', value: email, source: 'web_form' },
  ];
  const res = await who.client.post('/api/v1/subjects', { records });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

/** A complete incident body (relatively major: a million persons), detected 30 min ago. */
export const incidentBody = (env: TestEnv, over: Record<string, unknown> = {}) => ({
  title: 'Consultation inbox exposed',
  kind: 'leak',
  description: 'The consultation mailbox export was reachable without login.',
  detectedAt: isoAt(env, -30 * 60_000),
  categories: ['email', 'phone'],
  personsAffected: 1_000_000,
  cii: false,
  ...details,
  ...over,
});

/** Records an incident as `who`; returns the created incident. */
export async function createIncident(env: TestEnv, who: Staff, over: Record<string, unknown> = {}) {
  const res = await who.client.post(I, incidentBody(env, over));
  expect(res.status, res.text).toBe(201);
  return res.body;
}
