// A request split per holder, end to end over HTTP on SQLite and PostgreSQL: the umbrella closes
// once every part has its answer (a client's by its token-authenticated response, self's by staff);
// the person sees each part on the status page and can withdraw the whole request there (every open
// part goes with it). Also GDPR mode: one month from receipt, extended by notified months.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Res, type Staff } from '../../test/support/http.js';
import { drain, mailsTo, submitAndVerify } from '../../test/support/requests.js';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';
import { addCalendarMonths } from './deadlines.js';

let seq = 0;
const unique = (prefix: string) => `${prefix}${++seq}${Date.now().toString(36)}`;

const requestRow = (env: TestEnv, id: string) =>
  env.ctx.store.db
    .selectFrom('requests')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

const partsOf = (env: TestEnv, id: string) =>
  env.ctx.store.db.selectFrom('requests').selectAll().where('parent_id', '=', id).execute();

function postForm(path: string, env: TestEnv, fields: Record<string, string>): Promise<Res> {
  return new Client(env.url).send('POST', path, {
    raw: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

describe.each(DB_KINDS)('split requests on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let admin: Staff;
  let officer: Staff;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_BASE_URL: 'http://custos.test',
    });
    admin = await loginAs(env, 'admin');
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await env.close();
    await sink.close();
  });

  /** A client holding data on `email` as well as self; returns its response token. */
  async function splitRequest(type: string) {
    const slug = unique('client-');
    const created = await admin.client.post('/api/v1/controllers', {
      slug,
      name: `Client ${slug}`,
      contactEmail: `dpo@${slug}.example`,
    });
    expect(created.status).toBe(201);
    const clientId = created.body.id as string;
    const ep = await admin.client.send('PUT', `/api/v1/controllers/${clientId}/endpoints`, {
      body: {},
    });
    expect(ep.status).toBe(200);
    const email = `${unique('wang.')}@person.example`;
    for (const controllerId of ['self', clientId]) {
      const s = await officer.client.post('/api/v1/subjects', {
        controllerId,
        records: [{ category: 'email', purpose: 'consultation', value: email, source: 'web_form' }],
      });
      expect(s.status).toBe(201);
    }
    const { id, token } = await submitAndVerify(env, sink, { email, type });
    const parts = await partsOf(env, id);
    expect(parts).toHaveLength(2);
    return {
      id,
      token,
      email,
      clientName: `Client ${slug}`,
      responseToken: ep.body.responseToken as string,
      selfPart: parts.find((p) => p.controller_id === 'self')!,
      clientPart: parts.find((p) => p.controller_id === clientId)!,
    };
  }

  it('closes the umbrella only when the last part is answered, counting the parts', async () => {
    const r = await splitRequest('access');
    const answered = await new Client(env.url).post(
      `/api/v1/requests/${r.clientPart.id}/controller-response`,
      { outcome: 'fulfilled', summary: 'Copy sent to the person by our support team.' },
      { headers: { authorization: `Bearer ${r.responseToken}` } },
    );
    expect(answered.status).toBe(200);
    // One part is still open here: the umbrella stays open.
    expect((await requestRow(env, r.id)).status).toBe('open');

    const status = await new Client(env.url).get(
      `/api/v1/requests/${r.id}/status?token=${encodeURIComponent(r.token)}`,
    );
    expect(status.status).toBe(200);
    expect(status.body.canWithdraw).toBe(true);
    expect(status.body.parts).toEqual(
      expect.arrayContaining([
        { id: r.clientPart.id, controller: r.clientName, status: 'fulfilled' },
        { id: r.selfPart.id, controller: expect.any(String), status: 'open' },
      ]),
    );

    expect((await officer.client.post(`/api/v1/requests/${r.selfPart.id}/start`)).status).toBe(200);
    const done = await officer.client.post(`/api/v1/requests/${r.selfPart.id}/fulfil`, {});
    expect(done.status).toBe(200);

    const parent = await requestRow(env, r.id);
    expect(parent.status).toBe('fulfilled');
    expect(parent.closed_at).not.toBeNull();
    expect(JSON.parse(parent.outcome!)).toEqual({
      done: [
        { kind: 'parts_answered', count: 2 },
        { kind: 'parts_fulfilled', count: 2 },
      ],
      partial: false,
      download: null,
    });
    const events = await env.ctx.store.db
      .selectFrom('request_events')
      .selectAll()
      .where('request_id', '=', r.id)
      .where('action', '=', 'fulfil')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_type: 'system',
      from_status: 'open',
      to_status: 'fulfilled',
    });
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', r.id)
      .where('action', '=', 'request.transition')
      .execute();
    expect(audit.length).toBeGreaterThan(0);
  });

  it('marks the umbrella partial when a part is refused', async () => {
    const r = await splitRequest('deletion');
    const refused = await new Client(env.url).post(
      `/api/v1/requests/${r.clientPart.id}/controller-response`,
      {
        outcome: 'refused',
        ground: 'legal_obligation',
        summary: 'Invoices must be kept for the tax authority.',
      },
      { headers: { authorization: `Bearer ${r.responseToken}` } },
    );
    expect(refused.status).toBe(200);
    expect((await requestRow(env, r.id)).status).toBe('open');
    await officer.client.post(`/api/v1/requests/${r.selfPart.id}/start`);
    const done = await officer.client.post(`/api/v1/requests/${r.selfPart.id}/fulfil`, {});
    expect(done.status).toBe(200);
    const parent = await requestRow(env, r.id);
    expect(parent.status).toBe('fulfilled');
    expect(JSON.parse(parent.outcome!)).toMatchObject({
      partial: true,
      done: expect.arrayContaining([
        { kind: 'parts_fulfilled', count: 1 },
        { kind: 'parts_refused', count: 1 },
      ]),
    });
  });

  it('lets the person withdraw the whole request from the status page, every open part with it', async () => {
    const r = await splitRequest('access');
    const path = `/privacy/requests/${r.id}`;
    const page = await new Client(env.url).get(
      `${path}?token=${encodeURIComponent(r.token)}&lang=en`,
    );
    expect(page.status).toBe(200);
    expect(page.text).toContain(`action="${path}/withdraw?lang=en"`);
    expect(page.text).toContain('Withdraw this request');
    expect(page.text).toContain(r.clientName);

    // A forged token changes nothing.
    const forged = await postForm(`${path}/withdraw`, env, { token: 'x'.repeat(43), lang: 'en' });
    expect(forged.status).toBe(404);
    expect((await requestRow(env, r.id)).status).toBe('open');

    const withdrawn = await postForm(`${path}/withdraw`, env, { token: r.token, lang: 'en' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.text).toContain('Your request has been withdrawn.');
    expect(withdrawn.text).not.toContain('Withdraw this request');
    expect((await requestRow(env, r.id)).status).toBe('withdrawn');
    for (const part of await partsOf(env, r.id)) expect(part.status).toBe('withdrawn');

    const again = await postForm(`${path}/withdraw`, env, { token: r.token, lang: 'en' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('There is nothing left to do here');
  });
});

describe.each(DB_KINDS)('GDPR deadline mode on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_REQUEST_DEADLINE_MODE: 'gdpr',
    });
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await env.close();
    await sink.close();
  });

  it('gives one month from receipt, extends by notified months (at most two, once), and refuses working days', async () => {
    const email = `${unique('garcia.')}@person.example`;
    const { id } = await submitAndVerify(env, sink, { email });
    const row = await requestRow(env, id);
    const received = new Date(row.received_at);
    expect(row.due_at).toBe(addCalendarMonths(received, 1).toISOString());

    const days = await officer.client.post(`/api/v1/requests/${id}/extend`, {
      reason: 'Records are spread over three archived systems.',
      workingDays: 10,
    });
    expect(days.status).toBe(400);
    expect(days.body.errors?.[0]?.name ?? days.body.detail).toMatch(/workingDays/);
    const three = await officer.client.post(`/api/v1/requests/${id}/extend`, {
      reason: 'Records are spread over three archived systems.',
      months: 3,
    });
    expect(three.status).toBe(400);
    expect((await requestRow(env, id)).due_at).toBe(row.due_at);

    const extended = await officer.client.post(`/api/v1/requests/${id}/extend`, {
      reason: 'Records are spread over three archived systems.',
      months: 2,
    });
    expect(extended.status).toBe(200);
    const after = await requestRow(env, id);
    expect(after.due_at).toBe(addCalendarMonths(received, 3).toISOString());
    expect(after.extended_at).not.toBeNull();
    await drain(env);
    const notice = mailsTo(sink, email).find((m) =>
      (m.parsed.subject ?? '').startsWith('We need more time for your request'),
    );
    expect(notice?.parsed.text).toContain('Records are spread over three archived systems.');

    const twice = await officer.client.post(`/api/v1/requests/${id}/extend`, {
      reason: 'Still more archives.',
      months: 1,
    });
    expect(twice.status).toBe(409);
  });
});
