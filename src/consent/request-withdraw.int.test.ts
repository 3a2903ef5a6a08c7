// A fulfilled rights request to withdraw consent reaches the consent ledger, end to end over HTTP on
// SQLite and PostgreSQL: the person submits by API, confirms with the code mailed to the real SMTP
// sink, staff start and fulfil; the ledger then shows each withdrawn purpose as `withdrawn`, with
// the request as its source, under the policy version in force, in the same audited transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';
import { submitAndVerify } from '../../test/support/requests.js';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';

describe.each(DB_KINDS)('withdrawal by rights request on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, { CUSTOS_SMTP_URL: sink.url, CUSTOS_OUTBOX_POLL_SECONDS: '0' });
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('records a withdrawal for each consent purpose when the request is fulfilled', async () => {
    const email = `feng.yi.${kind}@example.net`;
    const subject = await officer.client.post('/api/v1/subjects', {
      records: [
        { category: 'email', purpose: 'marketing', value: email, source: 'web_form' },
        { category: 'phone', purpose: 'consultation', value: '13700004444', source: 'web_form' },
      ],
    });
    expect(subject.status, subject.text).toBe(201);
    const id = subject.body.id as string;
    // Marketing (with PI) and advertising (ledger only) granted; website_preferences denied.
    for (const [purpose, granted] of [
      ['marketing', true],
      ['advertising', true],
      ['website_preferences', false],
    ] as const) {
      const res = await officer.client.post(`/api/v1/consents/subjects/${id}`, {
        decisions: [{ purpose, granted }],
        reason: 'Recorded from the signed paper form',
      });
      expect(res.status, res.text).toBe(201);
    }
    // A newer policy is in force by the time the request is fulfilled.
    const policy = await officer.client.post('/api/v1/policies', {
      version: '2026.5',
      summaryEn: 'Newer policy.',
      summaryZh: '新版政策。',
      notices: [],
    });
    expect(policy.status).toBe(201);

    const { id: requestId } = await submitAndVerify(env, sink, {
      email,
      type: 'withdraw_consent',
    });
    const started = await officer.client.post(`/api/v1/requests/${requestId}/start`);
    expect(started.status, started.text).toBe(200);
    const done = await officer.client.post(`/api/v1/requests/${requestId}/fulfil`, {});
    expect(done.status, done.text).toBe(200);
    expect(done.body.status).toBe('fulfilled');

    const view = await officer.client.get(`/api/v1/consents/subjects/${id}`);
    expect(view.status).toBe(200);
    expect(view.body.purposes).toMatchObject([
      { purpose: 'advertising', state: 'withdrawn' },
      { purpose: 'marketing', state: 'withdrawn' },
      { purpose: 'website_preferences', state: 'denied' },
    ]);
    const withdrawals = view.body.history.filter((h: { method: string }) => h.method === 'request');
    expect(withdrawals).toHaveLength(2);
    for (const w of withdrawals)
      expect(w).toMatchObject({
        party: 'subject',
        subjectId: id,
        decision: 'withdraw',
        source: `request:${requestId}`,
        policyVersion: '2026.5',
        noticeSha256: null,
        lang: 'en',
      });

    // Chained into the audit trail by the staff member who fulfilled, and the chain verifies.
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['actor_id', 'target_id'])
      .where('action', '=', 'consent.record')
      .where(
        'target_id',
        'in',
        withdrawals.map((w: { id: string }) => w.id),
      )
      .execute();
    expect(audit).toHaveLength(2);
    for (const a of audit) expect(a.actor_id).toBe(officer.id);
    const security = await loginAs(env, 'security_officer');
    const verified = await security.client.get('/api/v1/audit/verify');
    expect(verified.body.ok).toBe(true);

    // The marketing e-mail went with the withdrawal; the contract-based phone stayed.
    const left = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('purpose')
      .where('subject_id', '=', id)
      .execute();
    expect(left.map((r) => r.purpose)).toEqual(['consultation']);
  });
});
