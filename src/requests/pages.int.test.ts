// The public request and status pages over real HTTP, on SQLite and PostgreSQL: the form in both
// languages, form posts (application/x-www-form-urlencoded) that become requests, the form
// re-rendered with a message per field, the status page reached only with its token, the
// verification form, and the headers every page carries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverOutbox } from '../notify/deliver.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Res } from '../../test/support/http.js';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';

const PAGE_CSP =
  "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function postForm(
  client: Client,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Res> {
  return client.send('POST', path, {
    raw: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

function expectPage(res: Res, status: number, lang: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
  expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.text).toContain(`<html lang="${lang}">`);
  expect(res.text).not.toMatch(/<script|style=/i);
}

/** The text of the element with this id (first match), tags stripped. */
function textOf(html: string, id: string): string | null {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return m ? m[1]!.trim() : null;
}

const statusLinkOf = (html: string): string => {
  const m = /href="(\/privacy\/requests\/[^"?]+\?token=[^"]+)"/.exec(html);
  if (m === null) throw new Error('no status link on the page');
  return m[1]!.replaceAll('&amp;', '&');
};

describe.each(DB_KINDS)('request pages on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let web: Client;

  const countRequests = async () =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom('requests')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_PRIVACY_CONTACT: 'dpo@custos.test',
    });
    web = new Client(env.url);
    const admin = await loginAs(env, 'admin');
    const made = await admin.client.post('/api/v1/controllers', {
      slug: 'acme-shop',
      name: 'Acme <Shop> & Co',
      contactEmail: 'privacy@acme.example',
    });
    expect(made.status).toBe(201);
  });
  afterAll(async () => {
    await env.close();
    await sink.close();
  });

  it('shows the form in Chinese by default and in English on request', async () => {
    const zh = await web.get('/privacy/requests');
    expectPage(zh, 200, 'zh-CN');
    expect(zh.text).toContain('提交个人信息权利请求');
    expect(zh.text).toContain('<form method="post" action="/privacy/requests?lang=zh-CN"');
    // Every type is a radio button with its label and one-line explanation.
    for (const type of ['access', 'deletion', 'withdraw_consent', 'deceased_relative', 'complaint'])
      expect(zh.text).toContain(
        `<input type="radio" id="type-${type}" name="type" value="${type}"`,
      );
    expect(zh.text).toContain('<label for="field-email">');
    expect(zh.text).toContain('<label for="field-phone">');
    // The "whose product" select lists active controllers by name, escaped.
    expect(zh.text).toContain('<option value="acme-shop">Acme &lt;Shop&gt; &amp; Co</option>');
    expect(zh.text).toContain('dpo@custos.test');
    expect(zh.text).toContain('href="/privacy/assets/site.css"');

    const en = await web.get('/privacy/requests?lang=en');
    expectPage(en, 200, 'en');
    expect(en.text).toContain('Make a request about your personal information');
    expect(en.text).toContain('<input type="hidden" name="lang" value="en">');

    const byHeader = await web.get('/privacy/requests', {
      headers: { 'accept-language': 'en-US,en;q=0.9,zh;q=0.3' },
    });
    expectPage(byHeader, 200, 'en');
  });

  it('serves its stylesheet', async () => {
    const css = await web.get('/privacy/assets/site.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.text).toContain('.error');
  });

  it('re-renders the form with a message per field and the values kept, writing nothing', async () => {
    const before = await countRequests();
    const res = await postForm(web, '/privacy/requests', {
      lang: 'en',
      type: 'teleport',
      name: 'Zhang <b>San</b>',
      email: 'not-an-address',
      details: '<script>alert(1)</script> fix "my" data',
      controller: 'acme-shop',
    });
    expectPage(res, 400, 'en');
    expect(textOf(res.text, 'type-error')).toBe('Choose a type of request.');
    expect(textOf(res.text, 'email-error')).toBe('This is not a valid e-mail address.');
    expect(res.text).toContain('id="field-email" name="email" value="not-an-address"');
    expect(res.text).toContain('aria-invalid="true"');
    expect(res.text).toContain('value="Zhang &lt;b&gt;San&lt;/b&gt;"');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; fix &quot;my&quot; data');
    expect(res.text).toContain('<option value="acme-shop" selected>');
    expect(res.text).not.toContain('<b>San</b>');

    const noContact = await postForm(web, '/privacy/requests', { lang: 'zh-CN', type: 'deletion' });
    expectPage(noContact, 400, 'zh-CN');
    expect(textOf(noContact.text, 'email-error')).toBe('请至少填写电子邮箱或手机号码之一。');
    expect(noContact.text).toContain('id="type-deletion" name="type" value="deletion" checked');

    const badPhone = await postForm(web, '/privacy/requests', {
      lang: 'en',
      type: 'access',
      phone: '12345',
      controller: 'nobody',
    });
    expectPage(badPhone, 400, 'en');
    expect(textOf(badPhone.text, 'phone-error')).toBe('This is not a valid phone number.');
    expect(textOf(badPhone.text, 'controller-error')).toBe('Choose from the list.');

    const tooLong = await postForm(web, '/privacy/requests', {
      lang: 'en',
      type: 'access',
      email: 'li.si@example.com',
      details: 'x'.repeat(4001),
    });
    expectPage(tooLong, 400, 'en');
    expect(textOf(tooLong.text, 'details-error')).toBe('At most 4000 characters.');

    expect(await countRequests()).toBe(before);
  });

  it('answers a non-form or oversized body with a page, never a JSON problem', async () => {
    const before = await countRequests();
    const json = await web.post('/privacy/requests', { type: 'access', email: 'a@example.com' });
    expectPage(json, 415, 'zh-CN');
    const huge = await postForm(web, '/privacy/requests?lang=en', {
      type: 'access',
      details: 'y'.repeat(70_000),
    });
    expectPage(huge, 413, 'en');
    expect(await countRequests()).toBe(before);
  });

  it('shows a 404 page for a forged or missing token', async () => {
    const forged = await web.get(
      '/privacy/requests/0190a0b1-0000-7000-8000-000000000000?token=forged&lang=en',
    );
    expectPage(forged, 404, 'en');
    expect(forged.text).toContain('Request not found');
    const missing = await web.get('/privacy/requests/0190a0b1-0000-7000-8000-000000000000');
    expectPage(missing, 404, 'zh-CN');
    const verify = await postForm(
      web,
      '/privacy/requests/0190a0b1-0000-7000-8000-000000000000/verify',
      {
        token: 'forged',
        code: '123456',
        lang: 'en',
      },
    );
    expectPage(verify, 404, 'en');
  });

  it('takes a request, confirms it, and lets the person verify with the code', async () => {
    const before = await countRequests();
    const res = await postForm(web, '/privacy/requests', {
      lang: 'en',
      type: 'deletion',
      name: 'Li Si',
      email: 'li.si@example.com',
      details: 'Please delete my account data.',
      controller: '',
    });
    expectPage(res, 200, 'en');
    expect(res.text).toContain('We have received your request');
    expect(res.text).toContain('we sent a code to your e-mail address');
    const link = statusLinkOf(res.text);
    const id = /\/privacy\/requests\/([^?]+)\?/.exec(link)![1]!;
    expect(res.text).toContain(`<dd class="reference">${id}</dd>`);
    expect(res.text).toContain(`action="/privacy/requests/${id}/verify?lang=en"`);
    expect(await countRequests()).toBe(before + 1);
    // Nothing the person typed reaches the logs.
    expect(env.logs.join('')).not.toContain('li.si@example.com');

    const status = await web.get(link);
    expectPage(status, 200, 'en');
    expect(status.text).toContain('Waiting for identity confirmation');
    expect(status.text).toContain('<dd>Delete</dd>');

    // A wrong code: the status page again, with the message at the code field.
    const token = new URL(link, env.url).searchParams.get('token')!;
    const wrong = await postForm(web, `/privacy/requests/${id}/verify`, {
      token,
      code: '000000x',
      lang: 'en',
    });
    expectPage(wrong, 400, 'en');
    expect(textOf(wrong.text, 'code-error')).toBe(
      'This code is not right; check it and try again.',
    );

    await deliverOutbox(env.ctx);
    const codeMail = sink.mails.find(
      (m) => m.envelope.to.includes('li.si@example.com') && /\b\d{6}\b/.test(m.parsed.text ?? ''),
    );
    expect(codeMail).toBeDefined();
    const code = /\b(\d{6})\b/.exec(codeMail!.parsed.text ?? '')![1]!;
    const ok = await postForm(web, `/privacy/requests/${id}/verify`, { token, code, lang: 'en' });
    expectPage(ok, 200, 'en');
    expect(ok.text).toContain('Your identity is confirmed');
    expect(ok.text).not.toContain('Waiting for identity confirmation');
    // The token is not logged (the logger keeps route patterns, not query strings or bodies).
    expect(env.logs.join('')).not.toContain(token);

    // The token of one request opens no other.
    const other = await postForm(web, '/privacy/requests', {
      lang: 'zh-CN',
      type: 'access',
      phone: '138 1234 5678',
    });
    expectPage(other, 200, 'zh-CN');
    const otherId = /\/privacy\/requests\/([^?]+)\?/.exec(statusLinkOf(other.text))![1]!;
    const crossed = await web.get(
      `/privacy/requests/${otherId}?token=${encodeURIComponent(token)}`,
    );
    expectPage(crossed, 404, 'zh-CN');
  });

  /** Submits through the form and verifies with the mailed code; returns the status link. */
  async function submitAndVerify(
    fields: Record<string, string>,
  ): Promise<{ id: string; token: string }> {
    const res = await postForm(web, '/privacy/requests', fields);
    expect(res.status).toBe(200);
    const link = statusLinkOf(res.text);
    const id = /\/privacy\/requests\/([^?]+)\?/.exec(link)![1]!;
    const token = new URL(link, env.url).searchParams.get('token')!;
    await deliverOutbox(env.ctx);
    const mail = sink.mails.find(
      (m) => (m.parsed.text ?? '').includes(id) && /\b\d{6}\b/.test(m.parsed.text ?? ''),
    );
    const code = /\b(\d{6})\b/.exec(mail!.parsed.text ?? '')![1]!;
    const ok = await postForm(web, `/privacy/requests/${id}/verify`, {
      token,
      code,
      lang: fields.lang ?? 'en',
    });
    expect(ok.status).toBe(200);
    return { id, token };
  }

  it('recognises the same form sent twice and locks a code after too many wrong tries', async () => {
    const fields = { lang: 'en', type: 'explain', email: 'qian.qi@example.com', details: 'How?' };
    const before = await countRequests();
    const first = await postForm(web, '/privacy/requests', fields);
    expectPage(first, 200, 'en');
    const again = await postForm(web, '/privacy/requests', fields);
    expectPage(again, 200, 'en');
    expect(again.text).toContain('We already had this same request');
    expect(again.text).not.toContain('?token=');
    expect(await countRequests()).toBe(before + 1);

    const link = statusLinkOf(first.text);
    const id = /\/privacy\/requests\/([^?]+)\?/.exec(link)![1]!;
    const token = new URL(link, env.url).searchParams.get('token')!;
    let last: Res | null = null;
    for (let i = 0; i < env.ctx.config.verificationMaxAttempts; i++) {
      last = await postForm(web, `/privacy/requests/${id}/verify?lang=en`, {
        token,
        code: '000000',
        lang: 'en',
      });
      expectPage(last, 400, 'en');
    }
    expect(textOf(last!.text, 'code-error')).toBe(
      'Too many wrong tries: this code no longer works; ask for a new one.',
    );
    const resent = await postForm(web, `/privacy/requests/${id}/code?lang=en`, {
      token,
      lang: 'en',
    });
    expectPage(resent, 200, 'en');
    expect(resent.text).toContain('We sent you a new code');
    const empty = await postForm(web, `/privacy/requests/${id}/verify?lang=en`, {
      token,
      code: '',
    });
    expectPage(empty, 400, 'en');
    expect(textOf(empty.text, 'code-error')).toBe('Enter the code you received.');
  });

  it('shows a refusal with its ground, the reason and where to complain', async () => {
    const officer = await loginAs(env, 'privacy_officer');
    const { id, token } = await submitAndVerify({
      lang: 'zh-CN',
      type: 'deletion',
      email: 'wang.wu@example.com',
      details: '请删除我的订单记录',
    });
    const refused = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'statutory_retention',
      reason: 'Order records must be kept for tax purposes until 2030.',
    });
    expect(refused.status).toBe(200);
    const page = await web.get(`/privacy/requests/${id}?token=${encodeURIComponent(token)}`);
    expectPage(page, 200, 'zh-CN');
    expect(page.text).toContain('<strong>已拒绝</strong>');
    expect(page.text).toContain('拒绝的理由');
    expect(page.text).toContain('Order records must be kept for tax purposes until 2030.');
    expect(page.text).toContain('人民法院');
    expect(page.text).toContain('dpo@custos.test');
    // No verification form once verified.
    expect(page.text).not.toContain('/verify?lang=');
  });

  it("shows a fee quote for an excessive repeat and takes the person's answer", async () => {
    const officer = await loginAs(env, 'privacy_officer');
    const email = 'zhao.liu@example.com';
    for (let i = 0; i < 2; i++)
      await submitAndVerify({ lang: 'en', type: 'copy', email, details: `copy number ${i}` });
    const { id, token } = await submitAndVerify({
      lang: 'en',
      type: 'copy',
      email,
      details: 'copy again',
    });
    const quoted = await officer.client.post(`/api/v1/requests/${id}/fee/quote`, {
      amountCents: 2500,
      costBasis: 'Staff time to assemble a third copy within a year.',
    });
    expect(quoted.status).toBe(200);
    const link = `/privacy/requests/${id}?token=${encodeURIComponent(token)}&lang=en`;
    const page = await web.get(link);
    expectPage(page, 200, 'en');
    expect(page.text).toContain('CNY 25.00');
    expect(page.text).toContain(`action="/privacy/requests/${id}/fee?lang=en"`);
    expect(page.text).toContain('name="decision" value="decline"');

    const bad = await postForm(web, `/privacy/requests/${id}/fee?lang=en`, {
      token,
      decision: 'maybe',
    });
    expectPage(bad, 400, 'en');
    const forged = await postForm(web, `/privacy/requests/${id}/fee?lang=en`, {
      token: 'forged',
      decision: 'accept',
    });
    expectPage(forged, 404, 'en');

    const declined = await postForm(web, `/privacy/requests/${id}/fee?lang=en`, {
      token,
      lang: 'en',
      decision: 'decline',
    });
    expectPage(declined, 200, 'en');
    expect(declined.text).toContain('You declined the fee.');
    expect(declined.text).toContain('<strong>Withdrawn</strong>');
    expect(declined.text).not.toContain('name="decision"');
  });

  it('limits form posts per network with a 429 page', async () => {
    const client = new Client(env.url);
    let last: Res | null = null;
    for (let i = 0; i < 25; i++) {
      last = await postForm(client, '/privacy/requests?lang=en', { lang: 'en', type: 'nope' });
      if (last.status === 429) break;
    }
    expectPage(last!, 429, 'en');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.text).toContain('Too many requests');
    // The window passes.
    env.clock.advance(61 * 60_000);
    const again = await postForm(client, '/privacy/requests?lang=en', { lang: 'en', type: 'nope' });
    expectPage(again, 400, 'en');
  });
});
