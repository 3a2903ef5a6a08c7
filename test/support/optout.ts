// Shared by the marketing opt-out test files (sending, unsubscribing): a server mailing through a
// real SMTP sink, people with or without a marketing grant, the staff send call, the mails a person
// received and their unsubscribe link, and a snapshot of everything an unsubscribe could write.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { ConsentDecision } from '../../src/consent/contracts.js';
import { appendConsents } from '../../src/consent/ledger.js';
import { transaction } from '../../src/db/store.js';
import { deliverOutbox } from '../../src/notify/deliver.js';
import type { DbKind } from './db.js';
import { makeEnv, type TestEnv } from './env.js';
import { loginAs, type Client, type Staff } from './http.js';
import { mailsTo as mailsIn } from './requests.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from './smtp-sink.js';

export const BASE_URL = 'https://privacy.custos.test';
const LINK =
  /https:\/\/privacy\.custos\.test(\/api\/v1\/unsubscribe\?token=[A-Za-z0-9_-]{43}&lang=[A-Za-z-]+)/;

export const uniqueEmail = (tag: string) => `${tag}.${randomBytes(4).toString('hex')}@example.net`;

type Counted =
  'suppressions' | 'consent_records' | 'audit_events' | 'outbox' | 'unsubscribe_tokens';

export interface OptoutWorld {
  env: TestEnv;
  sink: SmtpSink;
  officer: Staff;
}

/** A fresh SMTP sink, a server mailing through it (outbox sent only when asked), and an officer. */
export async function startOptout(kind: DbKind): Promise<OptoutWorld> {
  const sink = await startSmtpSink();
  try {
    const env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
      CUSTOS_BASE_URL: BASE_URL,
      CUSTOS_PRIVACY_CONTACT: 'privacy@custos.test',
    });
    try {
      return { env, sink, officer: await loginAs(env, 'privacy_officer') };
    } catch (err) {
      await env.close();
      throw err;
    }
  } catch (err) {
    await sink.close();
    throw err;
  }
}

/** The helpers a test file uses, over the world its `beforeAll` opened. */
export function optoutHarness(world: () => OptoutWorld) {
  const count = async (table: Counted): Promise<number> =>
    Number(
      (
        await world()
          .env.ctx.store.db.selectFrom(table)
          .select(sql<number>`count(*)`.as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const usedTokens = async (): Promise<number> =>
    Number(
      (
        await world()
          .env.ctx.store.db.selectFrom('unsubscribe_tokens')
          .select(sql<number>`count(*)`.as('n'))
          .where('used_at', 'is not', null)
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Everything an unsubscribe could write. */
  const snapshot = async () => ({
    suppressions: await count('suppressions'),
    consents: await count('consent_records'),
    audit: await count('audit_events'),
    outbox: await count('outbox'),
    tokens: await count('unsubscribe_tokens'),
    used: await usedTokens(),
  });

  async function newSubject(
    records: Array<{ category: string; purpose: string; value: string }>,
    controllerId?: string,
  ): Promise<string> {
    const res = await world().officer.client.post('/api/v1/subjects', {
      ...(controllerId === undefined ? {} : { controllerId }),
      records: records.map((r) => ({ ...r, source: 'web_form' })),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function decide(
    subjectId: string,
    decision: ConsentDecision,
    controllerId = 'self',
  ): Promise<void> {
    const { env } = world();
    await transaction(env.ctx.store, (trx) =>
      appendConsents(env.ctx, trx, [
        {
          party: { subjectId },
          controllerId,
          purpose: 'marketing',
          decision,
          policyVersion: '2026.1',
          noticeSha256: null,
          method: 'form',
          lang: 'en',
        },
      ]),
    );
  }

  /** A person with one e-mail address and, when asked, a marketing grant. */
  async function person(tag: string, consent = true) {
    const email = uniqueEmail(tag);
    const id = await newSubject([{ category: 'email', purpose: 'marketing', value: email }]);
    if (consent) await decide(id, 'grant');
    return { id, email };
  }

  const send = (
    subjectIds: string[],
    extra: { title?: string; body?: string; lang?: 'en' | 'zh-CN' } = {},
    client: Client = world().officer.client,
  ) =>
    client.post('/api/v1/marketing/messages', {
      title: extra.title ?? 'Winter product news',
      body: extra.body ?? 'Our new release is out.\n\nSee you at the user day.',
      lang: extra.lang ?? 'en',
      subjectIds,
    });

  const mailsTo = async (address: string): Promise<ReceivedMail[]> => {
    await deliverOutbox(world().env.ctx);
    return mailsIn(world().sink, address);
  };

  /** The unsubscribe path and query of a received mail (from its visible text link). */
  const linkOf = (mail: ReceivedMail): string => {
    const m = LINK.exec(mail.parsed.text ?? '');
    if (m === null) throw new Error('no unsubscribe link in the mail');
    return m[1]!;
  };

  return { count, snapshot, newSubject, decide, person, send, mailsTo, linkOf };
}
