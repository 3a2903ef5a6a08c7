// A controller's endpoints over HTTP on SQLite and PostgreSQL: the response token and webhook
// secret issued once and never kept in clear, bad settings refused with nothing written, controller
// scoping and roles, and plain-http webhooks refused in production.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { auditOf, forwardSuite } from '../../../test/support/forward.js';
import { loginAs } from '../../../test/support/http.js';

async function count(env: TestEnv, table: 'controller_endpoints' | 'webhook_signers') {
  const r = await env.ctx.store.db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe.each(DB_KINDS)('processor mode on %s', (kind) => {
  const fx = forwardSuite(kind);
  const { controller, putEndpoints } = fx;

  describe('controller endpoints', () => {
    it('issues the response token and webhook secret once, keeps neither in clear, shows only that they are set', async () => {
      const a = await controller('dpo@client-a.example');
      const created = await putEndpoints(a.id, {
        forwardEmail: 'requests@client-a.example',
        webhookUrl: fx.receiver.url,
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

      const row = await fx.env.ctx.store.db
        .selectFrom('controller_endpoints')
        .selectAll()
        .where('controller_id', '=', a.id)
        .executeTakeFirstOrThrow();
      expect(row.response_token_hash!.toString('latin1')).not.toContain(created.body.responseToken);
      const signer = await fx.env.ctx.store.db
        .selectFrom('webhook_signers')
        .selectAll()
        .where('id', '=', row.webhook_signer_id!)
        .executeTakeFirstOrThrow();
      expect(signer.secret_enc.toString('latin1')).not.toContain(
        created.body.webhookSecret.slice(6),
      );

      const shown = await fx.admin.client.get(`/api/v1/controllers/${a.id}/endpoints`);
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

      const audit = await auditOf(fx.env, 'controller.update', a.id);
      const entries = audit.map((e) => e.entry.toString('utf8')).join('\n');
      expect(entries).toContain('"kind":"endpoints"');
      expect(entries).not.toContain(created.body.responseToken);
      expect(entries).not.toContain(rotated.body.webhookSecret);
      expect(fx.env.logs.join('')).not.toContain(rotated.body.responseToken);

      // Removing the webhook destroys its secret.
      const removed = await putEndpoints(a.id, { webhookUrl: null });
      expect(removed.body.webhookSecretSet).toBe(false);
      const gone = await fx.env.ctx.store.db
        .selectFrom('webhook_signers')
        .select('id')
        .where('id', '=', row.webhook_signer_id!)
        .execute();
      expect(gone).toHaveLength(0);
    });

    it('refuses endpoints for self, bad URLs and unknown fields, writing nothing', async () => {
      const b = await controller(null);
      const before = [
        await count(fx.env, 'controller_endpoints'),
        await count(fx.env, 'webhook_signers'),
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
        await count(fx.env, 'controller_endpoints'),
        await count(fx.env, 'webhook_signers'),
      ]).toEqual(before);
    });

    it('keeps staff scoped to another controller out (404) and read-only roles from writing (403)', async () => {
      const a = await controller('dpo@scoped-a.example');
      const other = await controller('dpo@scoped-b.example');
      const scoped = await loginAs(fx.env, 'admin', { controllers: [other.id] });
      expect((await scoped.client.get(`/api/v1/controllers/${a.id}/endpoints`)).status).toBe(404);
      expect((await putEndpoints(a.id, { forwardEmail: 'x@y.example' }, scoped)).status).toBe(404);
      expect((await putEndpoints(other.id, {}, scoped)).status).toBe(200);
      const handler = await loginAs(fx.env, 'request_handler');
      expect((await putEndpoints(a.id, {}, handler)).status).toBe(403);
      const rows = await fx.env.ctx.store.db
        .selectFrom('controller_endpoints')
        .select('controller_id')
        .where('controller_id', '=', a.id)
        .execute();
      expect(rows).toHaveLength(0);
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
