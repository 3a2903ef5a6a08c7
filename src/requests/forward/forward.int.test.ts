// Processor mode through the real interfaces on SQLite and PostgreSQL: controller endpoints over
// HTTP, a person's request submitted and verified by API and routed to the controllers holding
// their data, forwarded by real SMTP (smtp-server sink) and by signed webhooks to a real local
// HTTP receiver that checks signatures with its own HMAC code, and the controller's token-
// authenticated answer reaching the person.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { Client, loginAs, type Staff } from '../../../test/support/http.js';
import { drain, mailsTo, submitAndVerify } from '../../../test/support/requests.js';
import { startSmtpSink, type SmtpSink } from '../../../test/support/smtp-sink.js';
import { backoffMs, deliverOutbox } from '../../notify/deliver.js';

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature's timestamp (unix seconds). */
  t: number;
  /** Whether some v1 matched HMAC-SHA256(secret, `${t}.${body}`) for the receiver's secret then. */
  valid: boolean;
}

interface Receiver {
  url: string;
  hits: Hit[];
  /** The secret the receiver checks with (what the controller stored). */
  secret: string | null;
  /** The status it answers with. */
  status: number;
  close(): Promise<void>;
}

/** Verifies `x-custos-signature` independently of the code under test. */
function checkSignature(secret: string | null, header: string, body: string) {
  const parts = header.split(',').map((p) => p.trim());
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2) ?? NaN);
  if (secret === null) return { t, valid: false };
  const want = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const valid = parts
    .filter((p) => p.startsWith('v1='))
    .some((p) => {
      const got = Buffer.from(p.slice(3), 'hex');
      return got.length === want.length && timingSafeEqual(got, want);
    });
  return { t, valid };
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    hits: [],
    secret: null,
    status: 204,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers['x-custos-signature'] ?? '');
      receiver.hits.push({
        headers: req.headers,
        body,
        ...checkSignature(receiver.secret, header, body),
      });
      res.statusCode = receiver.status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no port');
  receiver.url = `http://127.0.0.1:${address.port}/hooks/custos?key=receiver-query-secret`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** Delivers the outbox until nothing due is left (bounded). */
let seq = 0;
const unique = (prefix: string) => `${prefix}${++seq}${Date.now().toString(36)}`;

const requestRow = (env: TestEnv, id: string) =>
  env.ctx.store.db
    .selectFrom('requests')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

const eventsOf = (env: TestEnv, id: string) =>
  env.ctx.store.db
    .selectFrom('request_events')
    .selectAll()
    .where('request_id', '=', id)
    .orderBy('at')
    .orderBy('id')
    .execute();

async function count(env: TestEnv, table: 'controller_endpoints' | 'webhook_signers' | 'requests') {
  const r = await env.ctx.store.db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

const auditOf = (env: TestEnv, action: string, targetId: string) =>
  env.ctx.store.db
    .selectFrom('audit_events')
    .select(['entry', 'outcome', 'controller_id'])
    .where('action', '=', action)
    .where('target_id', '=', targetId)
    .execute();

describe.each(DB_KINDS)('processor mode on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let receiver: Receiver;
  let admin: Staff;
  let officer: Staff;

  beforeAll(async () => {
    sink = await startSmtpSink();
    receiver = await startReceiver();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_OUTBOX_MAX_ATTEMPTS: '3',
      CUSTOS_BASE_URL: 'http://custos.test',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
    });
    admin = await loginAs(env, 'admin');
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await env.close();
    await sink.close();
    await receiver.close();
  });

  async function controller(contactEmail: string | null) {
    const slug = unique('client-');
    const res = await admin.client.post('/api/v1/controllers', {
      slug,
      name: `Client ${slug}`,
      contactEmail,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; slug: string; name: string };
  }

  const putEndpoints = (id: string, body: unknown, who: Staff = admin) =>
    who.client.send('PUT', `/api/v1/controllers/${id}/endpoints`, { body });

  async function subjectOf(controllerId: string, email: string) {
    const res = await officer.client.post('/api/v1/subjects', {
      controllerId,
      records: [{ category: 'email', purpose: 'consultation', value: email, source: 'web_form' }],
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  const answer = (id: string, token: string | null, body: unknown) =>
    new Client(env.url).post(`/api/v1/requests/${id}/controller-response`, body, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  describe('controller endpoints', () => {
    it('issues the response token and webhook secret once, keeps neither in clear, shows only that they are set', async () => {
      const a = await controller('dpo@client-a.example');
      const created = await putEndpoints(a.id, {
        forwardEmail: 'requests@client-a.example',
        webhookUrl: receiver.url,
      });
      expect(created.status).toBe(200);
      expect(created.body.responseToken).toMatch(/^crt_[A-Za-z0-9_-]{43}$/);
      expect(created.body.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(created.body).toMatchObject({
        controllerId: a.id,
        forwardEmail: 'requests@client-a.example',
        mailTo: 'forward_email',
        webhookSecretSet: true,
        responseTokenSet: true,
      });
      // The query of the URL may be the receiver's own secret: it is not shown back.
      expect(created.body.webhookUrl).not.toContain('receiver-query-secret');

      const row = await env.ctx.store.db
        .selectFrom('controller_endpoints')
        .selectAll()
        .where('controller_id', '=', a.id)
        .executeTakeFirstOrThrow();
      expect(row.response_token_hash!.toString('latin1')).not.toContain(created.body.responseToken);
      const signer = await env.ctx.store.db
        .selectFrom('webhook_signers')
        .selectAll()
        .where('id', '=', row.webhook_signer_id!)
        .executeTakeFirstOrThrow();
      expect(signer.secret_enc.toString('latin1')).not.toContain(
        created.body.webhookSecret.slice(6),
      );

      const shown = await admin.client.get(`/api/v1/controllers/${a.id}/endpoints`);
      expect(shown.status).toBe(200);
      expect(shown.body.webhookSecret).toBeUndefined();
      expect(shown.body.responseToken).toBeUndefined();
      expect(shown.body).toMatchObject({ webhookSecretSet: true, responseTokenSet: true });

      // A change that rotates nothing shows nothing again.
      const again = await putEndpoints(a.id, { forwardEmail: null });
      expect(again.status).toBe(200);
      expect(again.body.responseToken).toBeUndefined();
      expect(again.body.webhookSecret).toBeUndefined();
      expect(again.body.mailTo).toBe('contact_email');

      const rotated = await putEndpoints(a.id, { rotateSecret: true, rotateResponseToken: true });
      expect(rotated.body.webhookSecret).toMatch(/^whsec_/);
      expect(rotated.body.webhookSecret).not.toBe(created.body.webhookSecret);
      expect(rotated.body.responseToken).not.toBe(created.body.responseToken);

      const audit = await auditOf(env, 'controller.update', a.id);
      const entries = audit.map((e) => e.entry.toString('utf8')).join('\n');
      expect(entries).toContain('"kind":"endpoints"');
      expect(entries).not.toContain(created.body.responseToken);
      expect(entries).not.toContain(rotated.body.webhookSecret);
      expect(env.logs.join('')).not.toContain(rotated.body.responseToken);

      // Removing the webhook destroys its secret.
      const removed = await putEndpoints(a.id, { webhookUrl: null });
      expect(removed.body.webhookSecretSet).toBe(false);
      const gone = await env.ctx.store.db
        .selectFrom('webhook_signers')
        .select('id')
        .where('id', '=', row.webhook_signer_id!)
        .execute();
      expect(gone).toHaveLength(0);
    });

    it('refuses endpoints for self, bad URLs and unknown fields, writing nothing', async () => {
      const b = await controller(null);
      const before = [
        await count(env, 'controller_endpoints'),
        await count(env, 'webhook_signers'),
      ];

      const self = await putEndpoints('self', { forwardEmail: 'x@self.example' });
      expect(self.status).toBe(409);
      expect(self.body.type).toBe('urn:custos:problem:conflict');

      const cases: Array<[unknown, string]> = [
        [{ webhookUrl: 'https://user:pw@hooks.example/x' }, '/body/webhookUrl'],
        [{ webhookUrl: 'ftp://hooks.example/x' }, '/body/webhookUrl'],
        [{ webhookUrl: 'not a url' }, '/body/webhookUrl'],
        [{ webhookUrl: 'https://hooks.example/x#frag' }, '/body/webhookUrl'],
        [{ rotateSecret: true }, '/body/rotateSecret'],
        [{ forwardEmail: 'not-an-address' }, '/body/forwardEmail'],
      ];
      for (const [body, pointer] of cases) {
        const res = await putEndpoints(b.id, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.type).toBe('urn:custos:problem:validation');
        expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
      }
      const extra = await putEndpoints(b.id, { forwardEmail: 'a@b.example', secret: 'mine' });
      expect(extra.status).toBe(400);

      expect([
        await count(env, 'controller_endpoints'),
        await count(env, 'webhook_signers'),
      ]).toEqual(before);
    });

    it('keeps staff scoped to another controller out (404) and read-only roles from writing (403)', async () => {
      const a = await controller('dpo@scoped-a.example');
      const other = await controller('dpo@scoped-b.example');
      const scoped = await loginAs(env, 'admin', { controllers: [other.id] });
      expect((await scoped.client.get(`/api/v1/controllers/${a.id}/endpoints`)).status).toBe(404);
      expect((await putEndpoints(a.id, { forwardEmail: 'x@y.example' }, scoped)).status).toBe(404);
      expect((await putEndpoints(other.id, {}, scoped)).status).toBe(200);
      const handler = await loginAs(env, 'request_handler');
      expect((await putEndpoints(a.id, {}, handler)).status).toBe(403);
      const rows = await env.ctx.store.db
        .selectFrom('controller_endpoints')
        .select('controller_id')
        .where('controller_id', '=', a.id)
        .execute();
      expect(rows).toHaveLength(0);
    });
  });

  describe('forwarding', () => {
    it('end to end: the request reaches the controller by mail and signed webhook, the person is told, the answer comes back', async () => {
      const a = await controller('dpo@e2e-a.example');
      const ep = await putEndpoints(a.id, {
        forwardEmail: 'requests@e2e-a.example',
        webhookUrl: receiver.url,
      });
      receiver.secret = ep.body.webhookSecret;
      receiver.status = 204;
      const email = `${unique('wang.')}@person.example`;
      await subjectOf(a.id, email);
      const hitsBefore = receiver.hits.length;

      const { id } = await submitAndVerify(env, sink, {
        email,
        name: 'Wang Wu',
        details: 'Please send me a copy of what you hold.',
      });
      let row = await requestRow(env, id);
      expect(row).toMatchObject({ status: 'forwarded', controller_id: a.id });
      expect(row.forwarded_at).not.toBeNull();
      expect(row.subject_id).not.toBeNull();

      await drain(env);
      const toController = mailsTo(sink, 'requests@e2e-a.example').filter((m) =>
        m.parsed.text?.includes(id),
      );
      expect(toController).toHaveLength(1);
      const text = toController[0]!.parsed.text ?? '';
      expect(text).toContain(`http://custos.test/api/v1/requests/${id}/controller-response`);
      expect(text).toContain(email);
      expect(text).toContain('Please send me a copy of what you hold.');

      const hits = receiver.hits.slice(hitsBefore);
      expect(hits).toHaveLength(1);
      const hit = hits[0]!;
      expect(hit.valid).toBe(true);
      expect(Math.abs(hit.t - Math.floor(env.clock.now().getTime() / 1000))).toBeLessThan(300);
      expect(hit.headers['content-type']).toBe('application/json');
      expect(hit.headers['x-custos-event']).toBe('request.forwarded');
      const delivery = String(hit.headers['x-custos-delivery']);
      const body = JSON.parse(hit.body);
      expect(body).toMatchObject({
        event: 'request.forwarded',
        controller: { id: a.id, slug: a.slug },
        request: { id, type: 'access', person: { email, name: 'Wang Wu' } },
        respond: { url: `http://custos.test/api/v1/requests/${id}/controller-response` },
      });
      // Delivered messages keep no personal data.
      const sent = await env.ctx.store.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', delivery)
        .executeTakeFirstOrThrow();
      expect(sent).toMatchObject({
        status: 'sent',
        channel: 'webhook',
        to_enc: null,
        params_enc: null,
      });

      const toPerson = mailsTo(sink, email);
      const told = toPerson.find((m) =>
        (m.parsed.subject ?? '').startsWith('Your request has been passed on'),
      );
      expect(told?.parsed.text).toContain(a.name);
      expect(told?.parsed.text).toContain('dpo@e2e-a.example');

      const res = await answer(id, ep.body.responseToken, {
        outcome: 'fulfilled',
        summary: 'We sent the person a copy of their account data on 1 December.',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, status: 'fulfilled' });
      row = await requestRow(env, id);
      expect(row.status).toBe('fulfilled');
      expect(row.closed_at).not.toBeNull();
      expect(row.controller_response_enc!.toString('latin1')).not.toContain('account data');
      const events = await eventsOf(env, id);
      expect(events.map((e) => e.action)).toEqual(
        expect.arrayContaining(['forward', 'controller_response']),
      );
      expect(events.find((e) => e.action === 'controller_response')).toMatchObject({
        actor_type: 'controller',
        actor_id: a.id,
        from_status: 'forwarded',
        to_status: 'fulfilled',
      });

      await drain(env);
      const done = mailsTo(sink, email).find((m) => (m.parsed.text ?? '').includes('account data'));
      expect(done?.parsed.text).toContain(`${a.name} answered: We sent the person a copy`);

      const twice = await answer(id, ep.body.responseToken, {
        outcome: 'fulfilled',
        summary: 'Again.',
      });
      expect(twice.status).toBe(409);
      expect(twice.body.type).toBe('urn:custos:problem:conflict');

      const forwardAudit = await auditOf(env, 'request.forward', id);
      expect(forwardAudit).toHaveLength(1);
      expect(forwardAudit[0]!.controller_id).toBe(a.id);
      const responseAudit = await auditOf(env, 'request.controller_response', id);
      expect(responseAudit).toHaveLength(1);
      for (const e of [...forwardAudit, ...responseAudit])
        expect(e.entry.toString('utf8')).not.toContain('person.example');
      const logs = env.logs.join('');
      expect(logs).not.toContain(email);
      expect(logs).not.toContain('receiver-query-secret');
    });

    it('splits a request held by self and a client into one child each, the umbrella staying open', async () => {
      const a = await controller('dpo@split-a.example');
      await putEndpoints(a.id, {});
      const email = `${unique('li.')}@person.example`;
      const selfSubject = await subjectOf('self', email);
      const aSubject = await subjectOf(a.id, email);
      const { id } = await submitAndVerify(env, sink, { email, type: 'deletion' });

      const parent = await requestRow(env, id);
      expect(parent.status).toBe('open');
      const children = await env.ctx.store.db
        .selectFrom('requests')
        .selectAll()
        .where('parent_id', '=', id)
        .execute();
      expect(children).toHaveLength(2);
      const selfChild = children.find((c) => c.controller_id === 'self')!;
      const aChild = children.find((c) => c.controller_id === a.id)!;
      expect(selfChild).toMatchObject({
        status: 'open',
        subject_id: selfSubject,
        type: 'deletion',
      });
      expect(aChild).toMatchObject({ status: 'forwarded', subject_id: aSubject, type: 'deletion' });
      for (const c of children) {
        expect(c.due_at).toBe(parent.due_at);
        expect(c.verified_at).toBe(parent.verified_at);
        expect(c.dedupe_digest).toBeNull();
        // Sealed again under the child's own key.
        const keys = await env.ctx.store.db
          .selectFrom('data_keys')
          .select('id')
          .where('owner_type', '=', 'request')
          .where('owner_id', '=', c.id)
          .execute();
        expect(keys).toHaveLength(1);
        expect(c.contact_enc!.equals(parent.contact_enc!)).toBe(false);
      }
      const parentEvents = await eventsOf(env, id);
      expect(parentEvents.map((e) => e.action)).toContain('split');

      await drain(env);
      const toA = mailsTo(sink, 'dpo@split-a.example').filter((m) =>
        m.parsed.text?.includes(aChild.id),
      );
      expect(toA).toHaveLength(1);
      // The person is told about the client, under the reference they know.
      const told = mailsTo(sink, email).find((m) =>
        (m.parsed.subject ?? '').includes(`passed on (${id})`),
      );
      expect(told?.parsed.text).toContain(a.name);
    });

    it('leaves a request open for staff, with an event, when the controller cannot be reached', async () => {
      const b = await controller(null);
      const email = `${unique('zhao.')}@person.example`;
      await subjectOf(b.id, email);
      const { id } = await submitAndVerify(env, sink, { email });
      const row = await requestRow(env, id);
      expect(row).toMatchObject({ status: 'open', controller_id: b.id, forwarded_at: null });
      const blocked = (await eventsOf(env, id)).find((e) => e.action === 'forward_blocked');
      expect(blocked?.reason).toBe('cannot forward: no contact');
      const audit = await auditOf(env, 'request.forward', id);
      expect(audit.map((e) => e.outcome)).toEqual(['failure']);
    });

    it('forwards to the client the person named even when it holds nothing on them', async () => {
      const c = await controller('dpo@named-c.example');
      const email = `${unique('sun.')}@person.example`;
      const { id } = await submitAndVerify(env, sink, { email, controller: c.slug });
      expect(await requestRow(env, id)).toMatchObject({ status: 'forwarded', controller_id: c.id });
    });

    it('works a request here when only self holds data', async () => {
      const email = `${unique('qian.')}@person.example`;
      await subjectOf('self', email);
      const { id } = await submitAndVerify(env, sink, { email });
      expect(await requestRow(env, id)).toMatchObject({
        status: 'open',
        controller_id: 'self',
        forwarded_at: null,
      });
      const kids = await env.ctx.store.db
        .selectFrom('requests')
        .select('id')
        .where('parent_id', '=', id)
        .execute();
      expect(kids).toHaveLength(0);
    });
  });

  describe('webhook delivery', () => {
    it('retries a failing receiver with back-off, then fails it after the last attempt', async () => {
      const a = await controller(null);
      const ep = await putEndpoints(a.id, { webhookUrl: receiver.url });
      receiver.secret = ep.body.webhookSecret;
      receiver.status = 500;
      try {
        const email = `${unique('fail.')}@person.example`;
        await subjectOf(a.id, email);
        const hitsBefore = receiver.hits.length;
        const { id } = await submitAndVerify(env, sink, { email });
        expect((await requestRow(env, id)).status).toBe('forwarded');
        const hook = await env.ctx.store.db
          .selectFrom('outbox')
          .selectAll()
          .where('dedupe_key', '=', `request:${id}:forward:webhook`)
          .executeTakeFirstOrThrow();
        expect(hook.to_enc!.toString('latin1')).not.toContain('127.0.0.1');
        // submitAndVerify drained once after the submit; this is the first attempt.
        expect(await deliverOutbox(env.ctx)).toMatchObject({ retried: 1 });
        let row = await env.ctx.store.db
          .selectFrom('outbox')
          .selectAll()
          .where('id', '=', hook.id)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'http 500' });
        expect(await deliverOutbox(env.ctx)).toMatchObject({ sent: 0, retried: 0, failed: 0 });

        env.clock.advance(backoffMs(1) + 1000);
        expect(await deliverOutbox(env.ctx)).toMatchObject({ retried: 1 });
        env.clock.advance(backoffMs(2) + 1000);
        expect(await deliverOutbox(env.ctx)).toMatchObject({ failed: 1 });
        row = await env.ctx.store.db
          .selectFrom('outbox')
          .selectAll()
          .where('id', '=', hook.id)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ status: 'failed', attempts: 3, last_error: 'http 500' });
        const hits = receiver.hits.slice(hitsBefore);
        expect(hits).toHaveLength(3);
        // The same delivery id on every attempt, each freshly signed.
        expect(new Set(hits.map((h) => h.headers['x-custos-delivery']))).toEqual(
          new Set([hook.id]),
        );
        expect(hits.every((h) => h.valid)).toBe(true);
        const failed = await auditOf(env, 'outbox.failed', hook.id);
        expect(failed).toHaveLength(1);
        expect(failed[0]!.entry.toString('utf8')).toContain('http 500');
        expect(failed[0]!.entry.toString('utf8')).not.toContain('receiver-query-secret');
        expect(env.logs.join('')).not.toContain('receiver-query-secret');
        expect(env.logs.join('')).not.toContain(email);
      } finally {
        receiver.status = 204;
      }
    });

    it('signs with the current secret: after a rotation the old one no longer verifies', async () => {
      const a = await controller(null);
      const first = await putEndpoints(a.id, { webhookUrl: receiver.url });
      receiver.status = 503;
      const email = `${unique('rot.')}@person.example`;
      await subjectOf(a.id, email);
      const hitsBefore = receiver.hits.length;
      try {
        receiver.secret = first.body.webhookSecret;
        await submitAndVerify(env, sink, { email });
        await deliverOutbox(env.ctx);
        expect(receiver.hits.slice(hitsBefore).map((h) => h.valid)).toEqual([true]);

        const rotated = await putEndpoints(a.id, { rotateSecret: true });
        expect(rotated.status).toBe(200);
        receiver.status = 204;
        // The receiver still holds the old secret: the retry, signed with the new one, fails its check.
        env.clock.advance(backoffMs(1) + 1000);
        await deliverOutbox(env.ctx);
        const retry = receiver.hits.slice(hitsBefore)[1]!;
        expect(retry.valid).toBe(false);
        const recheck = createHmac('sha256', rotated.body.webhookSecret)
          .update(`${retry.t}.${retry.body}`)
          .digest('hex');
        expect(String(retry.headers['x-custos-signature'])).toContain(`v1=${recheck}`);
      } finally {
        receiver.status = 204;
      }
    });
  });

  describe('controller response: bad input', () => {
    it('answers 404 for a wrong, missing or foreign token, 400 for a bad answer, and changes nothing', async () => {
      const a = await controller('dpo@bad-a.example');
      const b = await controller('dpo@bad-b.example');
      const tokenA = (await putEndpoints(a.id, {})).body.responseToken as string;
      const tokenB = (await putEndpoints(b.id, {})).body.responseToken as string;
      const email = `${unique('bad.')}@person.example`;
      await subjectOf(a.id, email);
      const { id } = await submitAndVerify(env, sink, { email });
      const before = await requestRow(env, id);
      expect(before.status).toBe('forwarded');
      const eventsBefore = (await eventsOf(env, id)).length;

      const ok = { outcome: 'fulfilled', summary: 'Done.' };
      for (const token of [null, 'crt_wrong', tokenB, `${tokenA}x`]) {
        const res = await answer(id, token, ok);
        expect(res.status, String(token)).toBe(404);
        expect(res.body.type).toBe('urn:custos:problem:not-found');
      }
      // A stranger's malformed body is still a 404: nothing is parsed before the token is checked.
      expect((await answer(id, 'crt_wrong', { nonsense: true })).status).toBe(404);
      expect((await answer('00000000-0000-0000-0000-000000000000', tokenA, ok)).status).toBe(404);

      const bad: Array<[unknown, string]> = [
        [{ outcome: 'refused', summary: 'We will not.' }, '/body/ground'],
        [{ outcome: 'refused', summary: 'No.', ground: 'because' }, '/body/ground'],
        [{ outcome: 'fulfilled', summary: 'Done.', ground: 'trade_secret' }, '/body/ground'],
        [{ outcome: 'fulfilled', summary: 'Call them on 13812345678.' }, '/body/summary'],
        [{ outcome: 'fulfilled', summary: 'x'.repeat(2001) }, '/body/summary'],
        [{ outcome: 'maybe', summary: 'Done.' }, '/body/outcome'],
      ];
      for (const [body, pointer] of bad) {
        const res = await answer(id, tokenA, body);
        expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(res.body.type).toBe('urn:custos:problem:validation');
        expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
      }
      const after = await requestRow(env, id);
      expect(after).toMatchObject({
        status: 'forwarded',
        controller_response_at: null,
        version: before.version,
      });
      expect((await eventsOf(env, id)).length).toBe(eventsBefore);
      expect(await auditOf(env, 'request.controller_response', id)).toHaveLength(0);

      // A proper refusal closes it, and the person hears the ground and the controller's words.
      const refused = await answer(id, tokenA, {
        outcome: 'refused',
        summary: 'The records are needed for an ongoing audit required by law.',
        ground: 'legal_obligation',
      });
      expect(refused.status).toBe(200);
      const row = await requestRow(env, id);
      expect(row).toMatchObject({ status: 'refused', refusal_ground: 'legal_obligation' });
      await drain(env);
      const mail = mailsTo(sink, email).find((m) =>
        (m.parsed.text ?? '').includes('ongoing audit'),
      );
      expect(mail).toBeDefined();
      expect(mail!.parsed.text).toContain('dpo@bad-a.example');
    });
  });
});

describe.each(DB_KINDS)('controller endpoints in production on %s', (kind) => {
  it('refuses a plain-http webhook URL and writes nothing, but takes an https one', async () => {
    const env = await makeEnv(kind, {
      CUSTOS_ENV: 'production',
      CUSTOS_BASE_URL: 'https://custos.test',
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
    });
    try {
      const admin = await loginAs(env, 'admin');
      const created = await admin.client.post('/api/v1/controllers', {
        slug: 'prod-client',
        name: 'Prod Client',
        contactEmail: 'dpo@prod.example',
      });
      const id = created.body.id as string;
      const res = await admin.client.send('PUT', `/api/v1/controllers/${id}/endpoints`, {
        body: { webhookUrl: 'http://hooks.prod.example/custos' },
      });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:custos:problem:validation');
      expect(res.body.errors).toEqual([{ pointer: '/body/webhookUrl', detail: 'must use https' }]);
      const rows = await env.ctx.store.db
        .selectFrom('controller_endpoints')
        .select('controller_id')
        .execute();
      expect(rows).toHaveLength(0);
      expect(
        await env.ctx.store.db.selectFrom('webhook_signers').select('id').execute(),
      ).toHaveLength(0);

      const ok = await admin.client.send('PUT', `/api/v1/controllers/${id}/endpoints`, {
        body: { webhookUrl: 'https://hooks.prod.example/custos' },
      });
      expect(ok.status).toBe(200);
      expect(ok.body.webhookSecretSet).toBe(true);
    } finally {
      await env.close();
    }
  });
});
