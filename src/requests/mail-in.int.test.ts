// Requests by e-mail over a real SMTP exchange, on SQLite and PostgreSQL: a nodemailer client
// talks to the listener, the intake service creates the request, and the outbox delivers the
// answers to an SMTP sink where they are read back. Mail that cannot be trusted is refused in the
// dialogue; mail that cannot be read is answered politely; nothing is created for either.
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverOutbox } from '../notify/deliver.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';
import { closedPort, startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';
import { startMailIn, type MailIn } from './mail-in.js';

const PRIVACY = 'privacy@custos.test';

type Sent = { ok: true; response: string } | { ok: false; responseCode: number; response: string };

interface Outgoing {
  envelope: { from: string; to: string };
  /** A whole message as sent (headers and body); otherwise built from the fields below. */
  raw?: string;
  from?: string;
  subject?: string;
  text?: string;
  messageId?: string;
  attachments?: Array<{ filename: string; content: Buffer | string }>;
  headers?: Record<string, string>;
}

describe.each(DB_KINDS)('mail in on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let mailIn: MailIn;
  let officer: Staff;

  async function send(mail: Outgoing): Promise<Sent> {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: mailIn.port,
      secure: false,
      ignoreTLS: true,
      logger: false,
    });
    try {
      const info = await transport.sendMail({
        envelope: mail.envelope,
        ...(mail.raw !== undefined
          ? { raw: mail.raw }
          : {
              from: mail.from,
              to: PRIVACY,
              subject: mail.subject,
              text: mail.text,
              messageId: mail.messageId,
              attachments: mail.attachments,
              headers: mail.headers,
            }),
      });
      return { ok: true, response: String(info.response) };
    } catch (error) {
      const e = error as { responseCode?: number; response?: string };
      return { ok: false, responseCode: e.responseCode ?? 0, response: e.response ?? '' };
    } finally {
      transport.close();
    }
  }

  const count = async (table: 'requests' | 'outbox') =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** Mails the sink received for one address, after the outbox ran. */
  async function mailsTo(address: string) {
    await deliverOutbox(env.ctx);
    return sink.mails.filter((m) => m.envelope.to.includes(address));
  }

  const person = () => `p${randomBytes(4).toString('hex')}@people.example`;

  beforeAll(async () => {
    sink = await startSmtpSink();
    const port = await closedPort();
    env = await makeEnv(kind, {
      CUSTOS_MAIL_IN_PORT: String(port),
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_MAIL_FROM: `Privacy Office <${PRIVACY}>`,
    });
    const started = await startMailIn(env.ctx);
    if (started === null) throw new Error('mail-in did not start');
    mailIn = started;
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await mailIn.close();
    await env.close();
    await sink.close();
  });

  it('turns a plain mail into a request and sends the receipt and the code', async () => {
    const from = person();
    const before = await count('requests');
    const sent = await send({
      envelope: { from, to: PRIVACY },
      from: `"王小明" <${from}>`,
      subject: '删除请求',
      text: '你好，请删除我在贵公司产品中的所有个人信息。谢谢！',
    });
    expect(sent).toEqual({ ok: true, response: expect.stringMatching(/^250 /) });
    expect(await count('requests')).toBe(before + 1);

    const row = await env.ctx.store.db
      .selectFrom('requests')
      .selectAll()
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ channel: 'email', type: 'deletion', lang: 'zh-CN' });
    // Sealed at rest: neither the address nor the words are readable in the row.
    expect(row.contact_enc!.toString('latin1')).not.toContain('people.example');

    // The staff queue shows it, with the sender masked.
    const listed = await officer.client.get(`/api/v1/requests/${row.id}`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(from);

    const answers = await mailsTo(from);
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.some((m) => /\b\d{6}\b/.test(m.parsed.text ?? ''))).toBe(true);
    expect(answers.every((m) => m.parsed.headers.get('content-language') === 'zh-CN')).toBe(true);
    // Nothing about the person reaches the logs.
    const logs = env.logs.join('');
    expect(logs).not.toContain(from);
    expect(logs).not.toContain('王小明');
    expect(logs).not.toContain('删除我在贵公司');
  });

  it('guesses the type from English words and answers in English', async () => {
    const from = person();
    const sent = await send({
      envelope: { from, to: PRIVACY },
      from: `Jane Roe <${from}>`,
      subject: 'Correction',
      text: 'Please correct the postal address you hold for me.',
    });
    expect(sent.ok).toBe(true);
    const row = await env.ctx.store.db
      .selectFrom('requests')
      .select(['type', 'lang'])
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ type: 'correction', lang: 'en' });
  });

  it('makes one request of the same mail delivered twice', async () => {
    const from = person();
    const mail: Outgoing = {
      envelope: { from, to: PRIVACY },
      from,
      subject: 'Access request',
      text: 'I would like access to the personal information you hold about me.',
      messageId: `<${randomBytes(8).toString('hex')}@people.example>`,
    };
    const before = await count('requests');
    expect((await send(mail)).ok).toBe(true);
    expect((await send(mail)).ok).toBe(true);
    expect(await count('requests')).toBe(before + 1);
  });

  const refusals: Array<[string, (from: string) => Outgoing, number, RegExp]> = [
    [
      'a mail with no From header',
      (from) => ({
        envelope: { from, to: PRIVACY },
        raw: `To: ${PRIVACY}\r\nSubject: delete\r\nMessage-ID: <x1@people.example>\r\n\r\nPlease delete my data.\r\n`,
      }),
      550,
      /no From address/,
    ],
    [
      'a From domain the envelope does not back (spoofing)',
      (from) => ({
        envelope: { from, to: PRIVACY },
        from: 'ceo@bank.example',
        subject: 'delete',
        text: 'Please delete all data of our customers.',
      }),
      550,
      /does not match the envelope/,
    ],
    [
      'an invalid From address',
      (from) => ({
        envelope: { from, to: PRIVACY },
        raw: `From: "Someone" <not an address>\r\nTo: ${PRIVACY}\r\nSubject: hi\r\n\r\nHello\r\n`,
      }),
      550,
      /From address/,
    ],
    [
      'the null envelope sender',
      (from) => ({
        envelope: { from: '', to: PRIVACY },
        from,
        subject: 'delete',
        text: 'Please delete my data.',
      }),
      550,
      /envelope sender/,
    ],
    [
      'an automatic reply',
      (from) => ({
        envelope: { from, to: PRIVACY },
        from,
        subject: 'Out of office',
        text: 'I am away until Monday.',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
      550,
      /Automatic/,
    ],
    [
      'a mail over 256 KiB',
      (from) => ({
        envelope: { from, to: PRIVACY },
        from,
        subject: 'delete',
        text: `Please delete my data. ${'x'.repeat(300 * 1024)}`,
      }),
      552,
      /./,
    ],
  ];

  it.each(refusals)(
    'refuses %s in the SMTP dialogue and creates nothing',
    async (_n, make, code, why) => {
      const from = person();
      const before = { requests: await count('requests'), outbox: await count('outbox') };
      const sent = await send(make(from));
      expect(sent.ok).toBe(false);
      if (!sent.ok) {
        expect(sent.responseCode).toBe(code);
        expect(sent.response).toMatch(why);
        // The refusal never quotes the sender.
        expect(sent.response).not.toContain(from);
      }
      expect(await count('requests')).toBe(before.requests);
      expect(await count('outbox')).toBe(before.outbox);
      expect(await mailsTo(from)).toHaveLength(0);
    },
  );

  it('refuses mail for any other mailbox at RCPT TO', async () => {
    const from = person();
    const before = await count('requests');
    const sent = await send({
      envelope: { from, to: 'someone-else@custos.test' },
      raw: `From: ${from}\r\nTo: someone-else@custos.test\r\nSubject: delete\r\n\r\nPlease delete my data.\r\n`,
    });
    expect(sent).toMatchObject({ ok: false, responseCode: 550 });
    expect(await count('requests')).toBe(before);
  });

  const politely: Array<[string, (from: string) => Outgoing, RegExp]> = [
    [
      'an attachment',
      (from) => ({
        envelope: { from, to: PRIVACY },
        from,
        subject: 'Delete my data',
        text: 'Please delete my data; my ID card is attached.',
        messageId: `<${randomBytes(8).toString('hex')}@people.example>`,
        attachments: [{ filename: 'id-card.jpg', content: randomBytes(2048) }],
      }),
      /do not accept mail with attachments/,
    ],
    [
      'a binary body',
      (from) => ({
        envelope: { from, to: PRIVACY },
        raw: [
          `From: ${from}`,
          `To: ${PRIVACY}`,
          'Subject: request',
          `Message-ID: <${randomBytes(8).toString('hex')}@people.example>`,
          'MIME-Version: 1.0',
          'Content-Type: application/octet-stream',
          'Content-Transfer-Encoding: base64',
          '',
          randomBytes(600).toString('base64'),
          '',
        ].join('\r\n'),
      }),
      /do not accept mail with attachments/,
    ],
    [
      'text with control bytes',
      (from) => ({
        envelope: { from, to: PRIVACY },
        raw: [
          `From: ${from}`,
          `To: ${PRIVACY}`,
          'Subject: request',
          `Message-ID: <${randomBytes(8).toString('hex')}@people.example>`,
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('delete\u0000\u0001\u0002 my data \u0007\u0000').toString('base64'),
          '',
        ].join('\r\n'),
      }),
      /could not be read as text/,
    ],
  ];

  it.each(politely)(
    'accepts %s but answers politely and creates no request',
    async (_n, make, reason) => {
      const from = person();
      const before = await count('requests');
      const mail = make(from);
      const sent = await send(mail);
      expect(sent).toEqual({ ok: true, response: expect.stringMatching(/^250 /) });
      expect(await count('requests')).toBe(before);
      // Delivered twice: still one answer.
      expect((await send(mail)).ok).toBe(true);
      const answers = await mailsTo(from);
      expect(answers).toHaveLength(1);
      expect(answers[0]!.parsed.subject).toBe('We could not take your mail as a request');
      expect(answers[0]!.parsed.text).toMatch(reason);
      expect(await count('requests')).toBe(before);
    },
  );
});
