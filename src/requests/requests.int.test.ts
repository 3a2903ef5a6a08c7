// Rights requests end to end over HTTP on SQLite and PostgreSQL: a person submits, receives a code
// by real SMTP, verifies, and is answered; staff work the queue (assign, notes, start, extend,
// refuse with a second approver, fees, fulfil). Bad input is a clear 4xx and writes nothing.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Staff } from '../../test/support/http.js';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';
import { deliverOutbox } from '../notify/deliver.js';
import { createCalendar } from './calendar.js';
import { groundInfo } from './grounds.js';
import { requestJobs } from './jobs.js';

const PRIVACY_CONTACT = 'complaints@custos.test';

const uniqueEmail = (tag: string) => `${tag}.${randomBytes(4).toString('hex')}@example.net`;

type Table = 'requests' | 'request_events' | 'request_notes' | 'request_verifications';

async function count(env: TestEnv, table: Table, requestId?: string): Promise<number> {
  let q = env.ctx.store.db.selectFrom(table).select(sql<number>`count(*)`.as('n'));
  if (requestId !== undefined)
    q = q.where(sql.ref(table === 'requests' ? 'id' : 'request_id'), '=', requestId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

function expectProblem(
  res: { status: number; body: { type?: string; errors?: Array<{ pointer: string }> } },
  status: number,
  type: string,
  pointer?: string,
) {
  expect(res.status).toBe(status);
  expect(res.body.type).toBe(`urn:custos:problem:${type}`);
  if (pointer !== undefined) expect(res.body.errors?.map((e) => e.pointer)).toContain(pointer);
}

function harness(getEnv: () => TestEnv, getSink: () => SmtpSink) {
  const pub = () => new Client(getEnv().url);
  const mailsTo = async (address: string) => {
    await deliverOutbox(getEnv().ctx);
    return getSink().mails.filter((m) => m.envelope.to.includes(address));
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

describe.each(DB_KINDS)('rights requests on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let handler: Staff;
  let officer: Staff;
  let officer2: Staff;
  const h = harness(
    () => env,
    () => sink,
  );

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
      CUSTOS_PRIVACY_CONTACT: PRIVACY_CONTACT,
    });
    handler = await loginAs(env, 'request_handler');
    officer = await loginAs(env, 'privacy_officer');
    officer2 = await loginAs(env, 'privacy_officer');
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

  it('refusal on ground 5 needs another privacy officer and evidence; the notice names ground, reasons, complaint route and court', async () => {
    const email = uniqueEmail('han.mei');
    const { id, token } = await h.submitVerified({ type: 'deletion', lang: 'en', email });
    const events = await count(env, 'request_events', id);

    const noGround = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      reason: 'No ground given',
    });
    expectProblem(noGround, 400, 'validation', '/body/ground');
    const badGround = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'because',
      reason: 'Made up ground',
    });
    expectProblem(badGround, 400, 'validation', '/body/ground');
    const piReason = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'malice_or_abuse',
      reason: `The person at ${email} keeps asking`,
    });
    expectProblem(piReason, 400, 'validation', '/body/reason');
    expect(await count(env, 'request_events', id)).toBe(events);

    const proposed = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'malice_or_abuse',
      reason: 'Forty identical requests in one week, documented in the case file.',
    });
    expect(proposed.status).toBe(200);
    expect(proposed.body.status).toBe('open');
    expect(proposed.body.refusal).toMatchObject({ ground: 'malice_or_abuse', pending: true });

    // A handler cannot approve at all; the proposer cannot approve their own refusal.
    const byHandler = await handler.client.post(`/api/v1/requests/${id}/refuse/approve`, {
      evidenceRef: 'CASE-1',
    });
    expectProblem(byHandler, 403, 'forbidden');
    const bySame = await officer.client.post(`/api/v1/requests/${id}/refuse/approve`, {
      evidenceRef: 'CASE-1',
    });
    expectProblem(bySame, 409, 'conflict');
    const noEvidence = await officer2.client.post(`/api/v1/requests/${id}/refuse/approve`, {});
    expectProblem(noEvidence, 400, 'validation', '/body/evidenceRef');
    expect((await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`)).body.status).toBe(
      'open',
    );
    // Fulfilling while a refusal waits is refused too.
    expectProblem(await handler.client.post(`/api/v1/requests/${id}/fulfil`, {}), 409, 'conflict');

    const approved = await officer2.client.post(`/api/v1/requests/${id}/refuse/approve`, {
      evidenceRef: 'CASE-2026-017',
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('refused');
    expect(approved.body.refusal).toMatchObject({
      pending: false,
      evidenceRef: 'CASE-2026-017',
      proposedBy: officer.id,
      approvedBy: officer2.id,
    });

    const notice = (await h.mailsTo(email)).find((m) => m.parsed.subject?.includes('Our answer'));
    const text = notice?.parsed.text ?? '';
    expect(text).toContain(groundInfo('malice_or_abuse').label.en);
    expect(text).toContain('Forty identical requests in one week');
    expect(text).toContain(PRIVACY_CONTACT);
    expect(text).toMatch(/court/);
    expect(text).toMatch(/authority responsible for personal information protection/);

    const status = await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`);
    expect(status.body.refusal).toMatchObject({
      ground: 'malice_or_abuse',
      label: groundInfo('malice_or_abuse').label,
    });

    // The person appeals once: back to work.
    const appeal = await h.pub().post(`/api/v1/requests/${id}/appeal`, {
      token,
      reason: 'I only asked twice.',
    });
    expect(appeal.status).toBe(200);
    expect(appeal.body.status).toBe('in_progress');
    const again = await h.pub().post(`/api/v1/requests/${id}/appeal`, { token, reason: 'Again' });
    expectProblem(again, 409, 'conflict');
  });

  it('a ground without a second approver refuses at once; a forbidden transition is a 409 naming state and action', async () => {
    const email = uniqueEmail('wei.ping');
    const { id } = await h.submitVerified({ type: 'correction', lang: 'zh-CN', email });
    const refused = await handler.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'statutory_retention',
      reason: 'Records must be kept for the statutory period.',
    });
    expect(refused.status).toBe(200);
    expect(refused.body.status).toBe('refused');
    const notice = (await h.mailsTo(email)).find((m) => m.parsed.subject?.includes('答复'));
    expect(notice?.parsed.text).toContain(groundInfo('statutory_retention').label['zh-CN']);
    expect(notice?.parsed.text).toContain('人民法院');

    const events = await count(env, 'request_events', id);
    const start = await handler.client.post(`/api/v1/requests/${id}/start`);
    expectProblem(start, 409, 'conflict');
    expect(start.body.detail).toContain('"refused"');
    expect(start.body.detail).toContain('"start"');
    const fulfil = await handler.client.post(`/api/v1/requests/${id}/fulfil`, {});
    expectProblem(fulfil, 409, 'conflict');
    expect(await count(env, 'request_events', id)).toBe(events);
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

  it('the third request of a type in the window is flagged; a quoted fee declined withdraws it', async () => {
    const email = uniqueEmail('fee.payer');
    await h.submitVerified({ type: 'copy', lang: 'en', email, details: 'first' });
    await h.submitVerified({ type: 'copy', lang: 'en', email, details: 'second' });
    const third = await h.submitVerified({ type: 'copy', lang: 'en', email, details: 'third' });
    const view = await handler.client.get(`/api/v1/requests/${third.id}`);
    expect(view.body.fee.status).toBe('flagged');

    expectProblem(
      await handler.client.post(`/api/v1/requests/${third.id}/fulfil`, {}),
      409,
      'conflict',
    );
    expectProblem(
      await handler.client.post(`/api/v1/requests/${third.id}/fee/quote`, {
        amountCents: 2000,
        costBasis: 'Staff time',
      }),
      403,
      'forbidden',
    );
    const quoted = await officer.client.post(`/api/v1/requests/${third.id}/fee/quote`, {
      amountCents: 2000,
      costBasis: 'Two hours of staff time to compile a third package',
    });
    expect(quoted.status).toBe(200);
    expect(quoted.body.fee).toMatchObject({
      status: 'quoted',
      amountCents: 2000,
      approvedBy: officer.id,
    });
    const quoteMail = (await h.mailsTo(email)).find((m) => m.parsed.subject?.includes('A fee'));
    expect(quoteMail?.parsed.text).toContain('CNY 20.00');

    const seen = await h.pub().get(`/api/v1/requests/${third.id}/status?token=${third.token}`);
    expect(seen.body.fee).toMatchObject({ status: 'quoted', amountCents: 2000 });
    const declined = await h.pub().post(`/api/v1/requests/${third.id}/fee`, {
      token: third.token,
      accept: false,
    });
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ status: 'withdrawn', fee: { status: 'declined' } });
    expectProblem(
      await h.pub().post(`/api/v1/requests/${third.id}/withdraw`, { token: third.token }),
      409,
      'conflict',
    );
  });

  it('bad submissions are 400s naming the field and create nothing; the same request twice is one request', async () => {
    const before = await count(env, 'requests');
    const email = uniqueEmail('bad.input');
    expectProblem(await h.submit({ type: 'teleport', email }), 400, 'validation', '/body/type');
    expectProblem(
      await h.submit({ type: 'access', email: 'not-an-email' }),
      400,
      'validation',
      '/body/email',
    );
    expectProblem(
      await h.submit({ type: 'access', phone: '12' }),
      400,
      'validation',
      '/body/phone',
    );
    expectProblem(
      await h.submit({ type: 'access', name: 'Nobody' }),
      400,
      'validation',
      '/body/email',
    );
    expectProblem(
      await h.submit({ type: 'access', email, details: 'x'.repeat(4001) }),
      400,
      'validation',
      '/body/details',
    );
    expectProblem(
      await h.submit({ type: 'access', email, controller: 'no-such-client' }),
      400,
      'validation',
      '/body/controller',
    );
    expectProblem(
      await h.submit({ type: 'access', email, extra: 1 }),
      400,
      'validation',
      '/body/extra',
    );
    expect(await count(env, 'requests')).toBe(before);

    const body = { type: 'deletion', email, details: 'Delete everything' };
    const first = await h.submit(body);
    expect(first.status).toBe(201);
    const second = await h.submit({ ...body, email: email.toUpperCase() });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, duplicate: true, statusToken: null });
    expect(await count(env, 'requests')).toBe(before + 1);
  });

  it('a forged token is a 404; wrong codes are capped then locked; a new code works', async () => {
    const email = uniqueEmail('code.tries');
    const res = await h.submit({ type: 'explain', lang: 'en', email });
    const id = res.body.id as string;
    const token = res.body.statusToken as string;
    const forged = randomBytes(32).toString('base64url');
    expectProblem(
      await h.pub().get(`/api/v1/requests/${id}/status?token=${forged}`),
      404,
      'not-found',
    );
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token: forged, code: '000000' }),
      404,
      'not-found',
    );
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/withdraw`, { token: 'x' }),
      404,
      'not-found',
    );

    const code = await h.codeFor(email);
    const wrong = code === '111111' ? '222222' : '111111';
    for (let left = 4; left >= 1; left--) {
      const r = await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code: wrong });
      expectProblem(r, 400, 'validation', '/body/code');
      expect(r.body.detail).toContain(`${left} tr`);
    }
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code: wrong }),
      409,
      'conflict',
    );
    // Locked: even the right code no longer works.
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code }),
      409,
      'conflict',
    );
    const v = await env.ctx.store.db
      .selectFrom('request_verifications')
      .selectAll()
      .where('request_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(v.attempts).toBe(5);
    expect(v.locked_at).not.toBeNull();
    expect((await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`)).body.status).toBe(
      'verifying',
    );

    const resent = await h.pub().post(`/api/v1/requests/${id}/verification`, { token });
    expect(resent.status).toBe(200);
    const fresh = await h.codeFor(email);
    const ok = await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code: fresh });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('open');
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code: fresh }),
      409,
      'conflict',
    );
  });

  it('a phone-only request gets its code by the SMS sender (logged with the request id only)', async () => {
    const res = await h.submit({ type: 'access', phone: '+86 138 0013 8000' });
    expect(res.status).toBe(201);
    expect(res.body.verification).toBe('sms');
    const line = env.logs.find((l) => l.includes(res.body.id) && l.includes('"code"'));
    expect(line).toBeDefined();
    expect(line).not.toContain('13800138000');
    const code = (JSON.parse(line!) as { code: string }).code;
    const ok = await h.pub().post(`/api/v1/requests/${res.body.id}/verify`, {
      token: res.body.statusToken,
      code,
    });
    expect(ok.status).toBe(200);
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

describe.each(DB_KINDS)('request clocks on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  const h = harness(
    () => env,
    () => sink,
  );

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_SMS_SENDER: 'none',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
    });
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
