// Shared by the guardian consent test files (API, page): a server mailing through a real SMTP sink
// with a purpose that asks for a birth date, a child's submission held for a guardian, the
// guardian's mail (code and link), and the hold and inquiry rows as stored.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { deliverOutbox } from '../../src/notify/deliver.js';
import type { DbKind } from './db.js';
import { makeEnv, type TestEnv } from './env.js';
import { Client, loginAs, type Staff } from './http.js';
import { mailsTo } from './requests.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

export const uniqueEmail = (tag: string) => `${tag}.${randomBytes(4).toString('hex')}@example.com`;

/** A birth date `years` years before the clock's day (mid-year, far from any birthday edge). */
export function bornYearsAgo(env: TestEnv, years: number): string {
  const y = env.clock.now().getUTCFullYear() - years;
  return `${y}-01-01`;
}

export interface GuardianWorld {
  env: TestEnv;
  sink: SmtpSink;
  officer: Staff;
  /** The public's client (the child's form, the guardian's page). */
  web: Client;
}

/** A fresh SMTP sink, a server mailing through it (outbox sent only when asked), an officer, and
 * the `kids_club` purpose (made through the data-map API) whose form asks for a birth date. */
export async function startGuardian(kind: DbKind): Promise<GuardianWorld> {
  const sink = await startSmtpSink();
  let env: TestEnv | undefined;
  try {
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
    });
    const officer = await loginAs(env, 'privacy_officer');
    const web = new Client(env.url);
    const made = await officer.client.post('/api/v1/datamap/purposes', {
      key: 'kids_club',
      nameEn: 'Kids coding club sign-up',
      nameZh: '少儿编程俱乐部报名',
      legalBasis: 'contract',
      legalBasisRef: 'club membership terms',
      necessity: 'The e-mail address is where club news goes; the birth date sets the age group.',
      retentionDays: 365,
      retentionEnd: 'delete',
      categories: [
        { key: 'email', required: true },
        { key: 'name', required: false },
        { key: 'birth_date', required: false },
        { key: 'free_text', required: false },
      ],
    });
    expect(made.status, made.text).toBe(201);
    return { env, sink, officer, web };
  } catch (err) {
    await env?.close();
    await sink.close();
    throw err;
  }
}

/** The helpers a test file uses, over the world its `beforeAll` opened. */
export function guardianHarness(world: () => Pick<GuardianWorld, 'env' | 'sink' | 'web'>) {
  /** The latest guardian mail to `address`: its code and the hold id and token of its link. */
  async function guardianMail(address: string) {
    await deliverOutbox(world().env.ctx);
    const mail = mailsTo(world().sink, address).at(-1);
    if (mail === undefined) throw new Error('no guardian mail');
    const code = /(\d{6})/.exec(mail.parsed.subject ?? '')?.[1];
    const link = /(https?:\/\/\S+\/privacy\/guardian\/\S+)/.exec(mail.parsed.text ?? '')?.[1];
    if (code === undefined || link === undefined) throw new Error('no code or link in the mail');
    const url = new URL(link);
    return {
      mail,
      code,
      holdId: url.pathname.split('/').at(-1)!,
      token: url.searchParams.get('token')!,
      lang: url.searchParams.get('lang'),
      path: `${url.pathname}${url.search}`,
    };
  }

  const hold = (id: string) =>
    world()
      .env.ctx.store.db.selectFrom('guardian_holds')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const inquiry = (id: string) =>
    world()
      .env.ctx.store.db.selectFrom('inquiries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  const submitChild = (guardianEmail: string | undefined, extra: Record<string, string> = {}) =>
    world().web.post('/api/v1/inquiries', {
      purpose: 'kids_club',
      lang: 'en',
      policyVersion: '2026.1',
      fields: {
        email: uniqueEmail('kid'),
        name: 'Xiao Ming',
        birth_date: bornYearsAgo(world().env, 10),
        ...extra,
      },
      ...(guardianEmail === undefined ? {} : { guardianEmail }),
    });

  /** A held child's submission and the guardian's mail. */
  async function heldChild(guardianEmail = uniqueEmail('parent')) {
    const res = await submitChild(guardianEmail);
    expect(res.status, res.text).toBe(201);
    return { res, guardianEmail, ...(await guardianMail(guardianEmail)) };
  }

  return { guardianMail, hold, inquiry, submitChild, heldChild };
}
