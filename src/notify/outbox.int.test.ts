// The transactional outbox on SQLite and PostgreSQL, delivering over real SMTP to a local
// smtp-server sink: written in the caller's transaction, sealed at rest, wiped once sent, retried
// with back-off, failed after the last attempt, and never leaking an address to logs or audit.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { closedPort, startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';
import { transaction } from '../db/store.js';
import { backoffMs, deliverOutbox, LEASE_MS } from './deliver.js';
import { enqueueMail } from './outbox.js';
import type { IncidentNoticeParams } from './templates.js';

const params: IncidentNoticeParams = {
  reference: 'INC-TEST',
  title: 'Test notice <b>&</b>',
  description: 'A test.',
  occurredAt: null,
  detectedAt: '2026-11-28T01:00:00.000Z',
  containedAt: null,
  categories: [{ key: 'email', en: 'E-mail address', zh: '电子邮件地址' }],
  cause: 'cause',
  possibleHarm: 'harm',
  remediesTaken: 'remedies',
  personActions: 'actions',
  contact: 'the privacy office',
};

async function count(env: TestEnv, table: 'outbox' | 'data_keys', where?: [string, string]) {
  let q = env.ctx.store.db.selectFrom(table).select(sql<number>`count(*)`.as('n'));
  if (where) q = q.where(sql.ref(where[0]), '=', where[1]);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

const outboxRow = (env: TestEnv, id: string) =>
  env.ctx.store.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const queue = (env: TestEnv, to: string, dedupeKey: string, lang: 'zh-CN' | 'en' = 'en') =>
  transaction(env.ctx.store, (trx) =>
    enqueueMail(env.ctx, trx, { to, template: 'incident_notice', lang, params, dedupeKey }),
  );

describe.each(DB_KINDS)('outbox on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_OUTBOX_MAX_ATTEMPTS: '3',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
    });
  });
  afterAll(async () => {
    await env.close();
    await sink.close();
  });

  it('queues in the caller’s transaction: a rolled-back change queues nothing', async () => {
    const before = await count(env, 'outbox');
    const keysBefore = await count(env, 'data_keys', ['owner_type', 'outbox']);
    await expect(
      transaction(env.ctx.store, async (trx) => {
        await enqueueMail(env.ctx, trx, {
          to: 'rollback.person@example.net',
          template: 'incident_notice',
          lang: 'en',
          params,
          dedupeKey: 'test:rollback',
        });
        throw new Error('the causing change fails');
      }),
    ).rejects.toThrow('the causing change fails');
    expect(await count(env, 'outbox')).toBe(before);
    expect(await count(env, 'data_keys', ['owner_type', 'outbox'])).toBe(keysBefore);
    const r = await deliverOutbox(env.ctx);
    expect(r.sent).toBe(0);
    expect(sink.mails.some((m) => m.envelope.to.includes('rollback.person@example.net'))).toBe(
      false,
    );
  });

  it('delivers once per dedupe key, sealed at rest, and leaves no personal data once sent', async () => {
    const to = 'wang.wu@example.net';
    const first = await queue(env, to, 'test:deliver');
    const again = await queue(env, to, 'test:deliver');
    expect(first.queued).toBe(true);
    expect(again).toEqual({ id: first.id, queued: false });
    const queued = await outboxRow(env, first.id);
    expect(queued.status).toBe('pending');
    expect(queued.to_enc!.toString('latin1')).not.toContain('example.net');
    expect(queued.params_enc!.toString('latin1')).not.toContain('privacy office');
    expect(await count(env, 'data_keys', ['owner_id', first.id])).toBe(1);

    const r = await deliverOutbox(env.ctx);
    expect(r).toMatchObject({ sent: 1, retried: 0, failed: 0 });
    const mails = sink.mails.filter((m) => m.envelope.to.includes(to));
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.envelope.from).toBe('privacy@custos.test');
    expect(mail.parsed.messageId).toBe(`<${first.id}@custos.test>`);
    expect(mail.parsed.subject).toBe(
      'Personal information security incident: Test notice <b>&</b>',
    );
    expect(mail.parsed.text).toContain('E-mail address');
    expect(mail.parsed.html).toContain('Test notice &lt;b&gt;&amp;&lt;/b&gt;');
    expect(mail.parsed.html).not.toContain('<b>&</b>');

    const sent = await outboxRow(env, first.id);
    expect(sent).toMatchObject({
      status: 'sent',
      to_enc: null,
      params_enc: null,
      message_id: `<${first.id}@custos.test>`,
      attempts: 1,
    });
    expect(await count(env, 'data_keys', ['owner_id', first.id])).toBe(0);
    // Nothing left to do: a second run sends nothing again.
    expect((await deliverOutbox(env.ctx)).sent).toBe(0);
    expect(sink.mails.filter((m) => m.envelope.to.includes(to))).toHaveLength(1);
  });

  it('retries a refused recipient with back-off, then fails it without leaking the address', async () => {
    const to = 'refused.person@example.org';
    sink.rejectRcpt = (address) => address === to;
    try {
      const { id } = await queue(env, to, 'test:refused');
      expect(await deliverOutbox(env.ctx)).toMatchObject({ sent: 0, retried: 1, failed: 0 });
      let row = await outboxRow(env, id);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'smtp 550' });
      const wait1 = Date.parse(row.next_attempt_at) - env.clock.now().getTime();
      expect(wait1).toBeGreaterThan(backoffMs(1) - 5_000);
      expect(wait1).toBeLessThanOrEqual(backoffMs(1));

      // Not due yet: nothing is tried.
      expect(await deliverOutbox(env.ctx)).toMatchObject({ sent: 0, retried: 0, failed: 0 });
      expect(sink.refused.filter((a) => a === to)).toHaveLength(1);

      env.clock.advance(backoffMs(1) + 1000);
      expect(await deliverOutbox(env.ctx)).toMatchObject({ retried: 1 });
      row = await outboxRow(env, id);
      expect(row.attempts).toBe(2);
      expect(Date.parse(row.next_attempt_at) - env.clock.now().getTime()).toBeGreaterThan(
        backoffMs(2) - 5_000,
      );
      expect(backoffMs(2)).toBe(2 * backoffMs(1));

      env.clock.advance(backoffMs(2) + 1000);
      expect(await deliverOutbox(env.ctx)).toMatchObject({ failed: 1, retried: 0 });
      row = await outboxRow(env, id);
      expect(row).toMatchObject({ status: 'failed', attempts: 3, last_error: 'smtp 550' });
      expect(sink.refused.filter((a) => a === to)).toHaveLength(3);
      env.clock.advance(backoffMs(10));
      expect(await deliverOutbox(env.ctx)).toMatchObject({ sent: 0, retried: 0, failed: 0 });

      const events = await env.ctx.store.db
        .selectFrom('audit_events')
        .select(['action', 'entry'])
        .where('target_id', '=', id)
        .execute();
      expect(events.map((e) => e.action)).toEqual(['outbox.failed']);
      const entry = events[0]!.entry.toString('utf8');
      expect(entry).toContain('smtp 550');
      expect(entry).not.toContain(to);
      expect(env.logs.join('')).toContain(id);
      expect(env.logs.join('')).not.toContain(to);
      expect(env.logs.join('')).not.toContain('example.org');
    } finally {
      sink.rejectRcpt = () => false;
    }
  });

  it('takes over a claim whose lease has expired, keeping the Message-ID', async () => {
    const to = 'lease.person@example.net';
    const { id } = await queue(env, to, 'test:lease', 'zh-CN');
    // Another sender claimed it and crashed: its lease still runs, so nobody else sends.
    const leaseUntil = new Date(env.clock.now().getTime() + LEASE_MS).toISOString();
    await env.ctx.store.db
      .updateTable('outbox')
      .set({ status: 'sending', lease_until: leaseUntil, attempts: 1 })
      .where('id', '=', id)
      .execute();
    expect((await deliverOutbox(env.ctx)).sent).toBe(0);
    env.clock.advance(LEASE_MS + 1000);
    expect((await deliverOutbox(env.ctx)).sent).toBe(1);
    const mail = sink.mails.find((m) => m.envelope.to.includes(to))!;
    expect(mail.parsed.messageId).toBe(`<${id}@custos.test>`);
    expect(mail.parsed.subject).toBe('个人信息安全事件告知：Test notice <b>&</b>');
    expect(mail.parsed.headers.get('content-language')).toBe('zh-CN');
    expect(await outboxRow(env, id)).toMatchObject({ status: 'sent', attempts: 2 });
  });
});

describe.each(DB_KINDS)('outbox without a reachable mail server on %s', (kind) => {
  it('waits, with one warning and no personal data, while no SMTP server is configured', async () => {
    const env = await makeEnv(kind, { CUSTOS_OUTBOX_POLL_SECONDS: '0' });
    try {
      const to = 'waiting.person@example.net';
      const { id } = await queue(env, to, 'test:wait');
      expect(await deliverOutbox(env.ctx)).toEqual({ sent: 0, retried: 0, failed: 0, waiting: 1 });
      expect(await deliverOutbox(env.ctx)).toMatchObject({ waiting: 1 });
      const warnings = env.logs.filter((l) => l.includes('CUSTOS_SMTP_URL is not set'));
      expect(warnings).toHaveLength(1);
      expect(env.logs.join('')).not.toContain(to);
      expect(await outboxRow(env, id)).toMatchObject({ status: 'pending', attempts: 0 });
    } finally {
      await env.close();
    }
  });

  it('retries when nothing listens on the SMTP port, then fails after the last attempt', async () => {
    const port = await closedPort();
    const env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: `smtp://127.0.0.1:${port}`,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_OUTBOX_MAX_ATTEMPTS: '2',
    });
    try {
      const to = 'unreachable.person@example.net';
      const { id } = await queue(env, to, 'test:down');
      expect(await deliverOutbox(env.ctx)).toMatchObject({ retried: 1, sent: 0 });
      const row = await outboxRow(env, id);
      expect(row.status).toBe('pending');
      expect(row.last_error).toMatch(/^E[A-Z]+$/);
      env.clock.advance(backoffMs(1) + 1000);
      expect(await deliverOutbox(env.ctx)).toMatchObject({ failed: 1 });
      expect(await outboxRow(env, id)).toMatchObject({ status: 'failed', attempts: 2 });
      const audit = await env.ctx.store.db
        .selectFrom('audit_events')
        .select('entry')
        .where('action', '=', 'outbox.failed')
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]!.entry.toString('utf8')).not.toContain(to);
      expect(env.logs.join('')).not.toContain(to);
    } finally {
      await env.close();
    }
  });
});
