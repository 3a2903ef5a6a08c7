// Consent receipts and withdrawal over HTTP on SQLite and PostgreSQL: a visitor's receipt by
// visitor id, a known person's receipt by token, and withdrawal of every grant in one request.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditEntries,
  CONSENT_API_SETTINGS,
  count,
  event,
  expectProblem,
  postEvent,
  SITE,
} from '../../test/support/consent.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Staff } from '../../test/support/http.js';
import { transaction } from '../db/store.js';
import { issueReceiptToken } from './receipt-tokens.js';

describe.each(DB_KINDS)('consent receipts and withdrawal on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  const pub = () => new Client(env.url);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    postEvent(env, body, headers);

  beforeAll(async () => {
    env = await makeEnv(kind, CONSENT_API_SETTINGS);
    officer = await loginAs(env, 'privacy_officer');
    // A version newer than the seeded one, as in production: visitors' events still name 2026.1,
    // while a withdrawal by token is recorded under the latest version.
    const published = await officer.client.post('/api/v1/policies', {
      version: '2026.2',
      summaryEn: 'Analytics now also measures page speed.',
      summaryZh: '分析类 Cookie 现在也衡量页面速度。',
      notices: [
        {
          purpose: 'website_analytics',
          lang: 'en',
          text: 'Analytics cookies count visits, pages viewed and page speed.',
        },
      ],
    });
    expect(published.status, published.text).toBe(201);
  });
  afterAll(async () => env?.close());

  it('gives a visitor their receipt as a download, and audits it', async () => {
    const visitor = randomUUID();
    await post(event(visitor, [['analytics', true]], { lang: 'zh-CN' }));
    await post(event(visitor, [['analytics', false]], { lang: 'zh-CN' }));
    const res = await pub().get(`/api/v1/consent/receipt?visitor=${visitor}`, {
      headers: { origin: SITE },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="consent-receipt.json"',
    );
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(res.body).toMatchObject({
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'CN',
      collectionMethod: 'banner',
      language: 'zh-CN',
      piiPrincipalId: 'visitor',
      policyUrl: 'https://privacy.example.test/privacy',
      sensitive: false,
    });
    expect(res.body.consentReceiptID).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.piiControllers[0].piiController).toBeTruthy();
    const [purpose] = res.body.services[0].purposes;
    expect(purpose).toMatchObject({
      purposeKey: 'website_analytics',
      state: 'withdrawn',
      consentType: 'EXPLICIT',
      policyVersion: '2026.1',
    });
    expect(purpose.history.map((h: { decision: string }) => h.decision)).toEqual([
      'grant',
      'withdraw',
    ]);
    expect(purpose.history[0].noticeSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(res.text).not.toContain(visitor);
    expect(res.text).not.toContain('127.0.0');
    const audit = await auditEntries(env, 'consent.receipt');
    expect(audit.at(-1)).toContain('"by":"visitor"');

    expectProblem(
      await pub().get(`/api/v1/consent/receipt?visitor=${randomUUID()}`),
      404,
      'not-found',
    );
    expectProblem(await pub().get('/api/v1/consent/receipt'), 400, 'validation');
    expectProblem(
      await pub().get(`/api/v1/consent/receipt?visitor=${visitor}&token=${'a'.repeat(43)}`),
      400,
      'validation',
    );
  });

  it('gives a known person their receipt by token and lets them withdraw in one request', async () => {
    const subject = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'email',
          purpose: 'marketing',
          value: 'han.mei@example.net',
          source: 'web_form',
        },
      ],
    });
    expect(subject.status).toBe(201);
    const id = subject.body.id as string;
    const granted = await officer.client.post(`/api/v1/consents/subjects/${id}`, {
      decisions: [{ purpose: 'marketing', granted: true }],
      lang: 'en',
      reason: 'Agreed on the phone to receive the newsletter',
    });
    expect(granted.status, granted.text).toBe(201);
    const token = await transaction(env.ctx.store, (trx) => issueReceiptToken(env.ctx, trx, id));

    const receipt = await pub().get(`/api/v1/consent/receipt?token=${token}`);
    expect(receipt.status, receipt.text).toBe(200);
    expect(receipt.body.piiPrincipalId).toBe(id);
    expect(receipt.body.services[0].purposes).toMatchObject([
      { purposeKey: 'marketing', state: 'granted' },
    ]);
    expect(receipt.text).not.toContain('han.mei');
    expectProblem(
      await pub().get(`/api/v1/consent/receipt?token=${'A'.repeat(43)}`),
      404,
      'not-found',
    );

    // Withdrawal: an unknown purpose or a forged token is refused and writes nothing.
    const records = await count(env, 'consent_records');
    expectProblem(
      await pub().post('/api/v1/consent/withdraw', { token, purposes: ['no_such_purpose'] }),
      400,
      'validation',
      '/body/purposes/0',
    );
    expectProblem(
      await pub().post('/api/v1/consent/withdraw', { token: 'B'.repeat(43) }),
      404,
      'not-found',
    );
    expectProblem(
      await pub().post('/api/v1/consent/withdraw', { token: 'short' }),
      400,
      'validation',
      '/body/token',
    );
    expect(await count(env, 'consent_records')).toBe(records);

    const withdrawn = await pub().post('/api/v1/consent/withdraw', { token, lang: 'en' });
    expect(withdrawn.status, withdrawn.text).toBe(200);
    expect(withdrawn.body.withdrawn).toEqual(['marketing']);
    expect(withdrawn.body.states).toMatchObject([{ purpose: 'marketing', state: 'withdrawn' }]);
    const last = await env.ctx.store.db
      .selectFrom('consent_records')
      .selectAll()
      .where('subject_id', '=', id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(last).toMatchObject({
      decision: 'withdraw',
      method: 'api',
      policy_version: '2026.2',
      notice_sha256: null,
      ip_prefix: '127.0.0.0/24',
    });
    // Nothing granted is left: a second call records nothing.
    const twice = await pub().post('/api/v1/consent/withdraw', { token });
    expect(twice.body.withdrawn).toEqual([]);

    // An expired token opens nothing.
    await env.ctx.store.db
      .updateTable('consent_receipt_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('subject_id', '=', id)
      .execute();
    expectProblem(await pub().get(`/api/v1/consent/receipt?token=${token}`), 404, 'not-found');
    expectProblem(await pub().post('/api/v1/consent/withdraw', { token }), 404, 'not-found');
  });
});
