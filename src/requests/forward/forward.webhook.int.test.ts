// Webhook delivery of forwarded requests on SQLite and PostgreSQL, against a real local receiver
// that checks signatures itself: retries with back-off until the last attempt fails, the same
// delivery id freshly signed each time, and signing with the current secret after a rotation.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { auditOf, forwardSuite, requestRow, unique } from '../../../test/support/forward.js';
import { submitAndVerify } from '../../../test/support/requests.js';
import { backoffMs, deliverOutbox } from '../../notify/deliver.js';

describe.each(DB_KINDS)('processor mode on %s', (kind) => {
  const fx = forwardSuite(kind);
  const { controller, putEndpoints, subjectOf } = fx;

  describe('webhook delivery', () => {
    it('retries a failing fx.receiver with back-off, then fails it after the last attempt', async () => {
      const a = await controller(null);
      const ep = await putEndpoints(a.id, { webhookUrl: fx.receiver.url });
      fx.receiver.secret = ep.body.webhookSecret;
      fx.receiver.status = 500;
      try {
        const email = `${unique('fail.')}@person.example`;
        await subjectOf(a.id, email);
        const hitsBefore = fx.receiver.hits.length;
        const { id } = await submitAndVerify(fx.env, fx.sink, { email });
        expect((await requestRow(fx.env, id)).status).toBe('forwarded');
        const hook = await fx.env.ctx.store.db
          .selectFrom('outbox')
          .selectAll()
          .where('dedupe_key', '=', `request:${id}:forward:webhook`)
          .executeTakeFirstOrThrow();
        expect(hook.to_enc!.toString('latin1')).not.toContain('127.0.0.1');
        // submitAndVerify drained once after the submit; this is the first attempt.
        expect(await deliverOutbox(fx.env.ctx)).toMatchObject({ retried: 1 });
        let row = await fx.env.ctx.store.db
          .selectFrom('outbox')
          .selectAll()
          .where('id', '=', hook.id)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'http 500' });
        expect(await deliverOutbox(fx.env.ctx)).toMatchObject({ sent: 0, retried: 0, failed: 0 });

        fx.env.clock.advance(backoffMs(1) + 1000);
        expect(await deliverOutbox(fx.env.ctx)).toMatchObject({ retried: 1 });
        fx.env.clock.advance(backoffMs(2) + 1000);
        expect(await deliverOutbox(fx.env.ctx)).toMatchObject({ failed: 1 });
        row = await fx.env.ctx.store.db
          .selectFrom('outbox')
          .selectAll()
          .where('id', '=', hook.id)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ status: 'failed', attempts: 3, last_error: 'http 500' });
        const hits = fx.receiver.hits.slice(hitsBefore);
        expect(hits).toHaveLength(3);
        // The same delivery id on every attempt, each freshly signed.
        expect(new Set(hits.map((h) => h.headers['x-custos-delivery']))).toEqual(
          new Set([hook.id]),
        );
        expect(hits.every((h) => h.valid)).toBe(true);
        const failed = await auditOf(fx.env, 'outbox.failed', hook.id);
        expect(failed).toHaveLength(1);
        expect(failed[0]!.entry.toString('utf8')).toContain('http 500');
        expect(failed[0]!.entry.toString('utf8')).not.toContain('receiver-query-secret');
        expect(fx.env.logs.join('')).not.toContain('receiver-query-secret');
        expect(fx.env.logs.join('')).not.toContain(email);
      } finally {
        fx.receiver.status = 204;
      }
    });

    it('signs with the current secret: after a rotation the old one no longer verifies', async () => {
      const a = await controller(null);
      const first = await putEndpoints(a.id, { webhookUrl: fx.receiver.url });
      fx.receiver.status = 503;
      const email = `${unique('rot.')}@person.example`;
      await subjectOf(a.id, email);
      const hitsBefore = fx.receiver.hits.length;
      try {
        fx.receiver.secret = first.body.webhookSecret;
        await submitAndVerify(fx.env, fx.sink, { email });
        await deliverOutbox(fx.env.ctx);
        expect(fx.receiver.hits.slice(hitsBefore).map((h) => h.valid)).toEqual([true]);

        const rotated = await putEndpoints(a.id, { rotateSecret: true });
        expect(rotated.status).toBe(200);
        fx.receiver.status = 204;
        // The receiver still holds the old secret: the retry, signed with the new one, fails its check.
        fx.env.clock.advance(backoffMs(1) + 1000);
        await deliverOutbox(fx.env.ctx);
        const retry = fx.receiver.hits.slice(hitsBefore)[1]!;
        expect(retry.valid).toBe(false);
        const recheck = createHmac('sha256', rotated.body.webhookSecret)
          .update(`${retry.t}.${retry.body}`)
          .digest('hex');
        expect(String(retry.headers['x-custos-signature'])).toContain(`v1=${recheck}`);
      } finally {
        fx.receiver.status = 204;
      }
    });
  });
});
