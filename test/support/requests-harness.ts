// Shared by the rights-request test files (lifecycle, decisions, intake, clocks): a server whose
// mail goes to a real SMTP sink, a person's client that submits and verifies with the mailed code,
// row counts of the request tables, and the problem shape of a refused call.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { deliverOutbox } from '../../src/notify/deliver.js';
import type { DbKind } from './db.js';
import { makeEnv, type TestEnv } from './env.js';
import { Client } from './http.js';
import { mailsTo as mailsIn } from './requests.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

export const PRIVACY_CONTACT = 'complaints@custos.test';

export const uniqueEmail = (tag: string) => `${tag}.${randomBytes(4).toString('hex')}@example.net`;

/** A fresh SMTP sink and a server mailing through it; the outbox is sent only when a test asks. */
export async function startWithSink(
  kind: DbKind,
  settings: Record<string, string> = {},
): Promise<{ env: TestEnv; sink: SmtpSink }> {
  const sink = await startSmtpSink();
  try {
    const env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
      ...settings,
    });
    return { env, sink };
  } catch (err) {
    await sink.close();
    throw err;
  }
}

type Table = 'requests' | 'request_events' | 'request_notes' | 'request_verifications';

export async function count(env: TestEnv, table: Table, requestId?: string): Promise<number> {
  let q = env.ctx.store.db.selectFrom(table).select(sql<number>`count(*)`.as('n'));
  if (requestId !== undefined)
    q = q.where(sql.ref(table === 'requests' ? 'id' : 'request_id'), '=', requestId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export function expectProblem(
  res: { status: number; body: { type?: string; errors?: Array<{ pointer: string }> } },
  status: number,
  type: string,
  pointer?: string,
) {
  expect(res.status).toBe(status);
  expect(res.body.type).toBe(`urn:custos:problem:${type}`);
  if (pointer !== undefined) expect(res.body.errors?.map((e) => e.pointer)).toContain(pointer);
}

/** The person's side: submit, read the latest code from the sink, verify. */
export function harness(getEnv: () => TestEnv, getSink: () => SmtpSink) {
  const pub = () => new Client(getEnv().url);
  const mailsTo = async (address: string) => {
    await deliverOutbox(getEnv().ctx);
    return mailsIn(getSink(), address);
  };
  const codeFor = async (address: string): Promise<string> => {
    const mails = (await mailsTo(address)).filter((m) =>
      /code|验证码/i.test(m.parsed.subject ?? ''),
    );
    const m = /(\d{6})/.exec(mails.at(-1)?.parsed.subject ?? '');
    if (m === null) throw new Error('no code mail');
    return m[1]!;
  };
  const submit = (body: Record<string, unknown>) => pub().post('/api/v1/requests', body);
  const submitVerified = async (body: Record<string, unknown>) => {
    const res = await submit(body);
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const token = res.body.statusToken as string;
    const code = await codeFor(body.email as string);
    const v = await pub().post(`/api/v1/requests/${id}/verify`, { token, code });
    expect(v.status).toBe(200);
    return { id, token, dueAt: v.body.dueAt as string | null };
  };
  return { pub, mailsTo, codeFor, submit, submitVerified };
}
