// Rights-request clocks on SQLite and PostgreSQL, moved by the test clock and the request jobs: an
// expired code, an unverified request expiring with its personal values shredded, the reminder
// before the due date and the escalation when overdue; and, with no SMS sender, phone-only refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import type { TestEnv } from '../../test/support/env.js';
import { loginAs } from '../../test/support/http.js';
import {
  count,
  expectProblem,
  harness,
  startWithSink,
  uniqueEmail,
} from '../../test/support/requests-harness.js';
import type { SmtpSink } from '../../test/support/smtp-sink.js';
import { deliverOutbox } from '../notify/deliver.js';
import { requestJobs } from './jobs.js';

describe.each(DB_KINDS)('request clocks on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  const h = harness(
    () => env,
    () => sink,
  );

  beforeAll(async () => {
    ({ env, sink } = await startWithSink(kind, { CUSTOS_SMS_SENDER: 'none' }));
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  const runJobs = async () => {
    for (const job of requestJobs(env.ctx)) await job.run();
    await deliverOutbox(env.ctx);
  };

  it('without an SMS sender a phone-only request is refused before anything is written', async () => {
    const before = await count(env, 'requests');
    const res = await h.submit({ type: 'access', phone: '+86 138 0013 8000' });
    expectProblem(res, 400, 'validation', '/body/email');
    expect(await count(env, 'requests')).toBe(before);
  });

  it('an expired code is refused; an unverified request expires and its personal values are shredded', async () => {
    const email = uniqueEmail('late');
    const res = await h.submit({ type: 'access', lang: 'en', email });
    const id = res.body.id as string;
    const token = res.body.statusToken as string;
    const code = await h.codeFor(email);
    env.clock.advance((env.ctx.config.verificationCodeMinutes + 1) * 60_000);
    const expired = await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code });
    expectProblem(expired, 400, 'validation', '/body/code');
    expect(expired.body.detail).toContain('expired');

    env.clock.advance(env.ctx.config.requestVerifyExpiryHours * 3600_000);
    await runJobs();
    const status = await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`);
    expect(status.body.status).toBe('expired');
    expect(await env.ctx.keyring.dataKey(env.ctx.store.db, 'request', id)).toBeNull();
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code }),
      409,
      'conflict',
    );
    const events = await count(env, 'request_events', id);
    await runJobs();
    expect(await count(env, 'request_events', id)).toBe(events);
  });

  it('reminds the handler two working days before the due date and escalates to privacy officers when overdue, once each', async () => {
    const handler = await loginAs(env, 'request_handler');
    const officer = await loginAs(env, 'privacy_officer');
    const email = uniqueEmail('clock');
    const { id, dueAt } = await h.submitVerified({ type: 'explain', lang: 'en', email });
    expect(
      (await officer.client.post(`/api/v1/requests/${id}/assign`, { userId: handler.id })).status,
    ).toBe(200);
    const reminderMails = () =>
      sink.mails.filter(
        (m) => m.envelope.to.includes(handler.email) && m.parsed.subject?.includes(id),
      );
    const overdueMails = () =>
      sink.mails.filter(
        (m) => m.envelope.to.includes(officer.email) && m.parsed.subject?.includes(id),
      );

    await runJobs();
    expect(reminderMails()).toHaveLength(0);

    // One day before the due date: at most two working days left.
    env.clock.advance(new Date(dueAt!).getTime() - env.clock.now().getTime() - 24 * 3600_000);
    await runJobs();
    await runJobs();
    expect(reminderMails()).toHaveLength(1);
    expect(overdueMails()).toHaveLength(0);

    env.clock.advance(2 * 24 * 3600_000);
    await runJobs();
    await runJobs();
    expect(overdueMails()).toHaveLength(1);
    expect(overdueMails()[0]?.parsed.subject).toContain('逾期');
    expect(reminderMails()).toHaveLength(1);
    expect(env.logs.join('')).not.toContain(handler.email);
  });
});
