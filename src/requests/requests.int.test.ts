// Rights requests end to end over HTTP on SQLite and PostgreSQL: a person submits, receives a code
// by real SMTP, verifies, and is answered; staff work the queue (assign, reveal, notes, start,
// fulfil), extend the due date once, and never see a request of another controller.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import type { TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';
import {
  expectProblem,
  harness,
  PRIVACY_CONTACT,
  startWithSink,
  uniqueEmail,
} from '../../test/support/requests-harness.js';
import type { SmtpSink } from '../../test/support/smtp-sink.js';
import { createCalendar } from './calendar.js';

describe.each(DB_KINDS)('rights requests on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let handler: Staff;
  let officer: Staff;
  const h = harness(
    () => env,
    () => sink,
  );

  beforeAll(async () => {
    ({ env, sink } = await startWithSink(kind, { CUSTOS_PRIVACY_CONTACT: PRIVACY_CONTACT }));
    handler = await loginAs(env, 'request_handler');
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('submit → code by mail → verify → open with a 15-working-day due date → handled → fulfilled and notified', async () => {
    const email = uniqueEmail('li.lei');
    const subject = await officer.client.post('/api/v1/subjects', {
      records: [{ category: 'email', purpose: 'consultation', value: email, source: 'web_form' }],
    });
    expect(subject.status).toBe(201);

    const res = await h.submit({
      type: 'access',
      lang: 'en',
      name: 'Li Lei',
      email,
      details: 'Please send me what you hold about me.',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'verifying',
      verification: 'email',
      duplicate: false,
    });
    expect(res.body.statusToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const id = res.body.id as string;
    const token = res.body.statusToken as string;

    // Clock paused while verification is pending (PIPL mode).
    const before = await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ id, type: 'access', status: 'verifying', dueAt: null });
    expect(before.text).not.toContain(email);

    const mails = await h.mailsTo(email);
    expect(mails.map((m) => m.parsed.subject)).toEqual(
      expect.arrayContaining([expect.stringContaining('We received your request')]),
    );
    const receipt = mails.find((m) => m.parsed.subject?.includes('We received'));
    expect(receipt?.parsed.text).toContain(`/privacy/requests/${id}?token=`);
    const code = await h.codeFor(email);

    const verified = await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ id, status: 'open', subjectMatched: true });

    const staffView = await handler.client.get(`/api/v1/requests/${id}`);
    expect(staffView.status).toBe(200);
    const calendar = createCalendar();
    expect(staffView.body.dueAt).toBe(verified.body.dueAt);
    expect(
      calendar.workingDaysBetween(
        new Date(staffView.body.verifiedAt),
        new Date(staffView.body.dueAt),
      ),
    ).toBe(15);
    expect(staffView.body.subjectId).toBe(subject.body.id);
    // Masked by default; the person's words only on reveal.
    expect(staffView.body.contact.email).toMatch(/^l\*\*\*@example\.net$/);
    expect(staffView.body.contact.name).not.toBe('Li Lei');
    expect(staffView.body.hasDetails).toBe(true);
    expect(staffView.body.details).toBeUndefined();

    const badReveal = await handler.client.post(`/api/v1/requests/${id}/reveal`, {
      reason: `asked by ${email}`,
    });
    expectProblem(badReveal, 400, 'validation', '/body/reason');
    const revealed = await handler.client.post(`/api/v1/requests/${id}/reveal`, {
      reason: 'checking the request wording',
    });
    expect(revealed.status).toBe(200);
    expect(revealed.body.contact).toEqual({ name: 'Li Lei', email, phone: null });
    expect(revealed.body.details).toBe('Please send me what you hold about me.');

    const queue = await handler.client.get('/api/v1/requests?status=open');
    expect(queue.status).toBe(200);
    expect(queue.body.items.map((r: { id: string }) => r.id)).toContain(id);

    const assigned = await officer.client.post(`/api/v1/requests/${id}/assign`, {
      userId: handler.id,
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body.assignedTo).toBe(handler.id);
    const badAssign = await officer.client.post(`/api/v1/requests/${id}/assign`, {
      userId: (await loginAs(env, 'auditor')).id,
    });
    expectProblem(badAssign, 400, 'validation', '/body/userId');

    const note = await handler.client.post(`/api/v1/requests/${id}/notes`, {
      body: 'Called Li Lei back; details confirmed.',
    });
    expect(note.status).toBe(201);
    const stored = await env.ctx.store.db
      .selectFrom('request_notes')
      .select('body_enc')
      .where('id', '=', note.body.id)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(stored.body_enc).toString('utf8')).not.toContain('Li Lei');
    const notes = await handler.client.get(`/api/v1/requests/${id}/notes`);
    expect(notes.body.items.map((n: { body: string }) => n.body)).toEqual([
      'Called Li Lei back; details confirmed.',
    ]);

    const started = await handler.client.post(`/api/v1/requests/${id}/start`);
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('in_progress');

    const done = await handler.client.post(`/api/v1/requests/${id}/fulfil`, {});
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('fulfilled');
    // The download link is a bearer secret for the person: staff see when it expires, not the
    // link, and it is not stored in clear; only the sealed mail carries it.
    expect(done.body.outcome.download.url).toBeUndefined();
    expect(Date.parse(done.body.outcome.download.expiresAt)).toBeGreaterThan(Date.now());
    const kept = await env.ctx.store.db
      .selectFrom('requests')
      .select('outcome')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(kept.outcome).not.toContain('token=');

    const answer = (await h.mailsTo(email)).find((m) =>
      m.parsed.subject?.includes('Your request has been answered'),
    );
    expect(answer?.parsed.text).toMatch(/\/api\/v1\/requests\/files\/[0-9a-f-]{36}\?token=/);
    expect(answer?.parsed.text).toContain('What we did');

    const events = await handler.client.get(`/api/v1/requests/${id}/events`);
    expect(events.body.items.map((e: { action: string }) => e.action)).toEqual([
      'submit',
      'start_verification',
      'verify',
      'assign',
      'start',
      'fulfil',
    ]);
    const status = await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`);
    expect(status.body.status).toBe('fulfilled');

    // No personal value in the audit trail or the logs.
    const audit = await env.ctx.store.db.selectFrom('audit_events').select('entry').execute();
    const auditText = audit.map((a) => Buffer.from(a.entry).toString('utf8')).join('\n');
    expect(auditText).toContain('request.verify');
    expect(auditText).not.toContain(email);
    expect(auditText).not.toContain('Li Lei');
    expect(env.logs.join('')).not.toContain(email);
    expect(env.logs.join('')).not.toContain(code);
  });

  it('one notified extension in working days', async () => {
    const email = uniqueEmail('zhou.jie');
    const { id, dueAt } = await h.submitVerified({ type: 'portability', lang: 'en', email });
    expect(dueAt).not.toBeNull();
    const months = await handler.client.post(`/api/v1/requests/${id}/extend`, {
      reason: 'Several systems hold data',
      months: 1,
    });
    expectProblem(months, 400, 'validation', '/body/months');
    const extended = await handler.client.post(`/api/v1/requests/${id}/extend`, {
      reason: 'Several systems hold data; export takes longer',
      workingDays: 10,
    });
    expect(extended.status).toBe(200);
    expect(extended.body.extension.reason).toBe('Several systems hold data; export takes longer');
    expect(
      createCalendar().workingDaysBetween(new Date(dueAt!), new Date(extended.body.dueAt)),
    ).toBe(10);
    const mail = (await h.mailsTo(email)).find((m) => m.parsed.subject?.includes('more time'));
    expect(mail?.parsed.text).toContain('Several systems hold data; export takes longer');
    const twice = await handler.client.post(`/api/v1/requests/${id}/extend`, {
      reason: 'Still more time',
      workingDays: 5,
    });
    expectProblem(twice, 409, 'conflict');
  });

  it('staff scoped to another controller never see the request', async () => {
    const admin = await loginAs(env, 'admin', { totp: false });
    const client = await admin.client.post('/api/v1/controllers', {
      slug: `client-${randomBytes(3).toString('hex')}`,
      name: 'Client A',
      region: 'CN',
    });
    expect(client.status).toBe(201);
    const scoped = await loginAs(env, 'request_handler', { controllers: [client.body.id] });
    const { id } = await h.submitVerified({ type: 'explain', email: uniqueEmail('scope') });
    expectProblem(await scoped.client.get(`/api/v1/requests/${id}`), 404, 'not-found');
    expectProblem(await scoped.client.post(`/api/v1/requests/${id}/start`), 404, 'not-found');
    const list = await scoped.client.get('/api/v1/requests');
    expect(list.body.items.map((r: { id: string }) => r.id)).not.toContain(id);
  });
});
