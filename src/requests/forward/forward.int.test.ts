// Processor mode through the real interfaces on SQLite and PostgreSQL: a person's request submitted
// and verified by API and routed to the controllers holding their data, forwarded by real SMTP and
// by signed webhook, split when several hold data, and the controller's token-authenticated answer
// reaching the person (bad answers refused with nothing changed).
import { describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import type { TestEnv } from '../../../test/support/env.js';
import { auditOf, forwardSuite, requestRow, unique } from '../../../test/support/forward.js';
import { Client } from '../../../test/support/http.js';
import { drain, mailsTo, submitAndVerify } from '../../../test/support/requests.js';

const eventsOf = (env: TestEnv, id: string) =>
  env.ctx.store.db
    .selectFrom('request_events')
    .selectAll()
    .where('request_id', '=', id)
    .orderBy('at')
    .orderBy('id')
    .execute();

describe.each(DB_KINDS)('processor mode on %s', (kind) => {
  const fx = forwardSuite(kind);
  const { controller, putEndpoints, subjectOf } = fx;

  const answer = (id: string, token: string | null, body: unknown) =>
    new Client(fx.env.url).post(`/api/v1/requests/${id}/controller-response`, body, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  describe('forwarding', () => {
    it('end to end: the request reaches the controller by mail and signed webhook, the person is told, the answer comes back', async () => {
      const a = await controller('dpo@e2e-a.example');
      const ep = await putEndpoints(a.id, {
        forwardEmail: 'requests@e2e-a.example',
        webhookUrl: fx.receiver.url,
      });
      fx.receiver.secret = ep.body.webhookSecret;
      fx.receiver.status = 204;
      const email = `${unique('wang.')}@person.example`;
      await subjectOf(a.id, email);
      const hitsBefore = fx.receiver.hits.length;

      const { id } = await submitAndVerify(fx.env, fx.sink, {
        email,
        name: 'Wang Wu',
        details: 'Please send me a copy of what you hold.',
      });
      let row = await requestRow(fx.env, id);
      expect(row).toMatchObject({ status: 'forwarded', controller_id: a.id });
      expect(row.forwarded_at).not.toBeNull();
      expect(row.subject_id).not.toBeNull();

      await drain(fx.env);
      const toController = mailsTo(fx.sink, 'requests@e2e-a.example').filter((m) =>
        m.parsed.text?.includes(id),
      );
      expect(toController).toHaveLength(1);
      const text = toController[0]!.parsed.text ?? '';
      expect(text).toContain(`http://custos.test/api/v1/requests/${id}/controller-response`);
      expect(text).toContain(email);
      expect(text).toContain('Please send me a copy of what you hold.');

      const hits = fx.receiver.hits.slice(hitsBefore);
      expect(hits).toHaveLength(1);
      const hit = hits[0]!;
      expect(hit.valid).toBe(true);
      expect(Math.abs(hit.t - Math.floor(fx.env.clock.now().getTime() / 1000))).toBeLessThan(300);
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
      const sent = await fx.env.ctx.store.db
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

      const toPerson = mailsTo(fx.sink, email);
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
      row = await requestRow(fx.env, id);
      expect(row.status).toBe('fulfilled');
      expect(row.closed_at).not.toBeNull();
      expect(row.controller_response_enc!.toString('latin1')).not.toContain('account data');
      const events = await eventsOf(fx.env, id);
      expect(events.map((e) => e.action)).toEqual(
        expect.arrayContaining(['forward', 'controller_response']),
      );
      expect(events.find((e) => e.action === 'controller_response')).toMatchObject({
        actor_type: 'controller',
        actor_id: a.id,
        from_status: 'forwarded',
        to_status: 'fulfilled',
      });

      await drain(fx.env);
      const done = mailsTo(fx.sink, email).find((m) =>
        (m.parsed.text ?? '').includes('account data'),
      );
      expect(done?.parsed.text).toContain(`${a.name} answered: We sent the person a copy`);

      const twice = await answer(id, ep.body.responseToken, {
        outcome: 'fulfilled',
        summary: 'Again.',
      });
      expect(twice.status).toBe(409);
      expect(twice.body.type).toBe('urn:custos:problem:conflict');

      const forwardAudit = await auditOf(fx.env, 'request.forward', id);
      expect(forwardAudit).toHaveLength(1);
      expect(forwardAudit[0]!.controller_id).toBe(a.id);
      const responseAudit = await auditOf(fx.env, 'request.controller_response', id);
      expect(responseAudit).toHaveLength(1);
      for (const e of [...forwardAudit, ...responseAudit])
        expect(e.entry.toString('utf8')).not.toContain('person.example');
      const logs = fx.env.logs.join('');
      expect(logs).not.toContain(email);
      expect(logs).not.toContain('receiver-query-secret');
    });

    it('splits a request held by self and a client into one child each, the umbrella staying open', async () => {
      const a = await controller('dpo@split-a.example');
      await putEndpoints(a.id, {});
      const email = `${unique('li.')}@person.example`;
      const selfSubject = await subjectOf('self', email);
      const aSubject = await subjectOf(a.id, email);
      const { id } = await submitAndVerify(fx.env, fx.sink, { email, type: 'deletion' });

      const parent = await requestRow(fx.env, id);
      expect(parent.status).toBe('open');
      const children = await fx.env.ctx.store.db
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
        const keys = await fx.env.ctx.store.db
          .selectFrom('data_keys')
          .select('id')
          .where('owner_type', '=', 'request')
          .where('owner_id', '=', c.id)
          .execute();
        expect(keys).toHaveLength(1);
        expect(c.contact_enc!.equals(parent.contact_enc!)).toBe(false);
      }
      const parentEvents = await eventsOf(fx.env, id);
      expect(parentEvents.map((e) => e.action)).toContain('split');

      await drain(fx.env);
      const toA = mailsTo(fx.sink, 'dpo@split-a.example').filter((m) =>
        m.parsed.text?.includes(aChild.id),
      );
      expect(toA).toHaveLength(1);
      // The person is told about the client, under the reference they know.
      const told = mailsTo(fx.sink, email).find((m) =>
        (m.parsed.subject ?? '').includes(`passed on (${id})`),
      );
      expect(told?.parsed.text).toContain(a.name);
    });

    it('leaves a request open for staff, with an event, when the controller cannot be reached', async () => {
      const b = await controller(null);
      const email = `${unique('zhao.')}@person.example`;
      await subjectOf(b.id, email);
      const { id } = await submitAndVerify(fx.env, fx.sink, { email });
      const row = await requestRow(fx.env, id);
      expect(row).toMatchObject({ status: 'open', controller_id: b.id, forwarded_at: null });
      const blocked = (await eventsOf(fx.env, id)).find((e) => e.action === 'forward_blocked');
      expect(blocked?.reason).toBe('cannot forward: no contact');
      const audit = await auditOf(fx.env, 'request.forward', id);
      expect(audit.map((e) => e.outcome)).toEqual(['failure']);
    });

    it('forwards to the client the person named even when it holds nothing on them', async () => {
      const c = await controller('dpo@named-c.example');
      const email = `${unique('sun.')}@person.example`;
      const { id } = await submitAndVerify(fx.env, fx.sink, { email, controller: c.slug });
      expect(await requestRow(fx.env, id)).toMatchObject({
        status: 'forwarded',
        controller_id: c.id,
      });
    });

    it('works a request here when only self holds data', async () => {
      const email = `${unique('qian.')}@person.example`;
      await subjectOf('self', email);
      const { id } = await submitAndVerify(fx.env, fx.sink, { email });
      expect(await requestRow(fx.env, id)).toMatchObject({
        status: 'open',
        controller_id: 'self',
        forwarded_at: null,
      });
      const kids = await fx.env.ctx.store.db
        .selectFrom('requests')
        .select('id')
        .where('parent_id', '=', id)
        .execute();
      expect(kids).toHaveLength(0);
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
      const { id } = await submitAndVerify(fx.env, fx.sink, { email });
      const before = await requestRow(fx.env, id);
      expect(before.status).toBe('forwarded');
      const eventsBefore = (await eventsOf(fx.env, id)).length;

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
      const after = await requestRow(fx.env, id);
      expect(after).toMatchObject({
        status: 'forwarded',
        controller_response_at: null,
        version: before.version,
      });
      expect((await eventsOf(fx.env, id)).length).toBe(eventsBefore);
      expect(await auditOf(fx.env, 'request.controller_response', id)).toHaveLength(0);

      // A proper refusal closes it, and the person hears the ground and the controller's words.
      const refused = await answer(id, tokenA, {
        outcome: 'refused',
        summary: 'The records are needed for an ongoing audit required by law.',
        ground: 'legal_obligation',
      });
      expect(refused.status).toBe(200);
      const row = await requestRow(fx.env, id);
      expect(row).toMatchObject({ status: 'refused', refusal_ground: 'legal_obligation' });
      await drain(fx.env);
      const mail = mailsTo(fx.sink, email).find((m) =>
        (m.parsed.text ?? '').includes('ongoing audit'),
      );
      expect(mail).toBeDefined();
      expect(mail!.parsed.text).toContain('dpo@bad-a.example');
    });
  });
});
