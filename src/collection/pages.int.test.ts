// The consultation page over real HTTP on SQLite and PostgreSQL: the form built from the data map
// in both languages, with the purpose's notice and a separate unticked marketing box; form posts
// (application/x-www-form-urlencoded) that become inquiries; the form re-rendered with a message
// per field, every value escaped, nothing written; and the headers every page carries.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Res, type Staff } from '../../test/support/http.js';

const PAGE_CSP =
  "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SCRIPT = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

const uniqueEmail = (tag: string) => `${tag}.${randomBytes(4).toString('hex')}@example.org`;
const uniquePhone = () =>
  `137${String(randomBytes(4).readUInt32BE(0) % 100_000_000).padStart(8, '0')}`;

function postForm(client: Client, path: string, fields: Record<string, string>): Promise<Res> {
  return client.send('POST', path, {
    raw: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

function expectPage(res: Res, status: number, lang: string): void {
  expect(res.status, res.text).toBe(status);
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

describe.each(DB_KINDS)('consultation page on %s', (kind) => {
  let env: TestEnv;
  let web: Client;
  let officer: Staff;

  const counts = async () => {
    const n = async (t: 'inquiries' | 'pi_records' | 'subjects' | 'consent_records') =>
      Number(
        (
          await env.ctx.store.db
            .selectFrom(t)
            .select(sql<number>`count(*)`.as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      inquiries: await n('inquiries'),
      records: await n('pi_records'),
      subjects: await n('subjects'),
      ledger: await n('consent_records'),
    };
  };
  const notice = async (purpose: string, lang: 'en' | 'zh-CN') =>
    (
      await env.ctx.store.db
        .selectFrom('consent_notices')
        .select('text')
        .where('purpose_key', '=', purpose)
        .where('lang', '=', lang)
        .executeTakeFirstOrThrow()
    ).text;

  beforeAll(async () => {
    env = await makeEnv(kind, { CUSTOS_PRIVACY_CONTACT: 'dpo@custos.test' });
    web = new Client(env.url);
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await env?.close();
  });

  it('shows the form from the data map in Chinese by default and in English on request', async () => {
    const zh = await web.get('/privacy/consult');
    expectPage(zh, 200, 'zh-CN');
    expect(zh.text).toContain(
      '<form id="consult-form" method="post" action="/privacy/consult?lang=zh-CN"',
    );
    // Labels are the taxonomy's names; required ones are marked and required.
    expect(zh.text).toContain('<label for="field-phone">电话号码（必填）</label>');
    expect(zh.text).toContain('<label for="field-email">电子邮件地址（必填）</label>');
    expect(zh.text).toContain('<label for="field-name">姓名（选填）</label>');
    expect(zh.text).toContain('<label for="field-company">工作单位（选填）</label>');
    expect(zh.text).toContain('<label for="field-location">所在地区（选填）</label>');
    expect(zh.text).toContain('<label for="field-free_text">用户填写的文字（选填）</label>');
    expect(zh.text).toMatch(
      /<input type="tel" id="field-phone" name="phone" value="" maxlength="32" autocomplete="tel" required aria-required="true" aria-describedby="phone-hint">/,
    );
    expect(zh.text).toMatch(
      /<textarea id="field-free_text" name="free_text" rows="8" maxlength="4000"/,
    );
    expect(zh.text).not.toContain('name="guardianEmail"');
    expect(zh.text).toContain('<input type="hidden" name="policyVersion" value="2026.1">');
    // The notice of the purpose, and marketing as its own unticked box with its own notice.
    expect(textOf(zh.text, 'notice-text')).toBe(await notice('consultation', 'zh-CN'));
    expect(zh.text).toMatch(
      /<input type="checkbox" id="field-consent-marketing" name="consent.marketing" value="yes" aria-describedby="consent-marketing-notice consent-marketing-hint">/,
    );
    expect(textOf(zh.text, 'consent-marketing-notice')).toBe(await notice('marketing', 'zh-CN'));
    expect(zh.text).not.toContain('consent.website_analytics');
    expect(zh.text).toContain('dpo@custos.test');
    expect(zh.text).toContain('href="/privacy/assets/site.css"');

    const en = await web.get('/privacy/consult?lang=en');
    expectPage(en, 200, 'en');
    expect(en.text).toContain('<label for="field-phone">Phone number (required)</label>');
    expect(textOf(en.text, 'notice-text')).toBe(await notice('consultation', 'en'));
    const byHeader = await web.get('/privacy/consult', {
      headers: { 'accept-language': 'en-GB,en;q=0.8' },
    });
    expectPage(byHeader, 200, 'en');
  });

  it('takes a form post, confirms with the reference and the receipt link, and records the choices', async () => {
    const email = uniqueEmail('chen.jie');
    const before = await counts();
    const res = await postForm(web, '/privacy/consult?lang=en', {
      lang: 'en',
      policyVersion: '2026.1',
      phone: uniquePhone(),
      email,
      name: 'Chen Jie',
      company: '',
      location: 'Chengdu',
      free_text: 'Line one\r\nLine two',
      'consent.marketing': 'yes',
    });
    expectPage(res, 200, 'en');
    expect(res.text).toContain('We have received your question');
    const id = textOf(res.text, 'reference')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.text).toMatch(
      /<a id="receipt-link" href="\/api\/v1\/consent\/receipt\?token=[A-Za-z0-9_%-]+">/,
    );
    expect(res.text).not.toContain(email);
    const row = await env.ctx.store.db
      .selectFrom('inquiries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ channel: 'web', status: 'received', lang: 'en' });
    const ledger = await env.ctx.store.db
      .selectFrom('consent_records')
      .select(['purpose_key', 'decision', 'method'])
      .where('source', '=', `inquiry:${id}`)
      .orderBy('purpose_key')
      .execute();
    expect(ledger).toEqual([
      { purpose_key: 'consultation', decision: 'acknowledge', method: 'form' },
      { purpose_key: 'marketing', decision: 'grant', method: 'form' },
    ]);
    const after = await counts();
    expect(after.inquiries).toBe(before.inquiries + 1);
    // The empty company was left out, not stored empty.
    const categories = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('category')
      .where('source', '=', `inquiry:${id}`)
      .where('purpose', '=', 'consultation')
      .orderBy('category')
      .execute();
    expect(categories.map((c) => c.category)).toEqual([
      'email',
      'free_text',
      'location',
      'name',
      'phone',
    ]);
    expect(env.logs.join('')).not.toContain(email);

    // The box left unticked: the offer was shown and declined.
    const declined = await postForm(web, '/privacy/consult?lang=zh-CN', {
      lang: 'zh-CN',
      policyVersion: '2026.1',
      phone: uniquePhone(),
      email: uniqueEmail('declined'),
    });
    expectPage(declined, 200, 'zh-CN');
    expect(declined.text).toContain('我们已收到您的咨询');
    const declinedId = textOf(declined.text, 'reference')!;
    const marketing = await env.ctx.store.db
      .selectFrom('consent_records')
      .select('decision')
      .where('source', '=', `inquiry:${declinedId}`)
      .where('purpose_key', '=', 'marketing')
      .executeTakeFirstOrThrow();
    expect(marketing.decision).toBe('deny');
  });

  it('re-renders the form with a message per field, every value escaped, writing nothing', async () => {
    const before = await counts();
    const res = await postForm(web, '/privacy/consult?lang=en', {
      lang: 'en',
      policyVersion: '2026.1',
      phone: `12345${SCRIPT}`,
      email: `a${SCRIPT}@x`,
      name: `${SCRIPT}"'`,
      company: SCRIPT,
      location: SCRIPT,
      free_text: `${SCRIPT}\n<b>bold</b>`,
      'consent.marketing': 'yes',
    });
    expectPage(res, 400, 'en');
    expect(textOf(res.text, 'phone-error')).toBe(
      'This is not a valid phone number: write a mainland China number as dialled, any other with + and the country code.',
    );
    expect(textOf(res.text, 'email-error')).toBe('This is not a valid e-mail address.');
    expect(res.text).toContain('aria-describedby="phone-hint phone-error" aria-invalid="true"');
    expect(res.text).toContain('<div class="summary" role="alert"');
    expect(res.text).toContain('<a href="#field-phone">');
    // What the person typed comes back, escaped, in every field; the box stays ticked.
    expect(res.text).toContain(`name="phone" value="12345${ESCAPED}"`);
    expect(res.text).toContain(`name="email" value="a${ESCAPED}@x"`);
    expect(res.text).toContain(`name="name" value="${ESCAPED}&quot;&#39;"`);
    expect(res.text).toContain(`name="company" value="${ESCAPED}"`);
    expect(res.text).toContain(`name="location" value="${ESCAPED}"`);
    expect(res.text).toContain(`${ESCAPED}\n&lt;b&gt;bold&lt;/b&gt;</textarea>`);
    expect(res.text).toContain('name="consent.marketing" value="yes" checked');
    expect(res.text).not.toContain('<b>bold</b>');

    const missing = await postForm(web, '/privacy/consult?lang=zh-CN', {
      lang: 'zh-CN',
      policyVersion: '2026.1',
      email: uniqueEmail('x'),
      name: 'x'.repeat(201),
      free_text: 'y'.repeat(4001),
    });
    expectPage(missing, 400, 'zh-CN');
    expect(textOf(missing.text, 'phone-error')).toBe('此项为必填项。');
    expect(textOf(missing.text, 'name-error')).toBe('最多 200 个字符。');
    expect(textOf(missing.text, 'free_text-error')).toBe('最多 4000 个字符。');

    // A crafted post: an undeclared field is named, not dropped; a made-up policy version is
    // refused and the form comes back with the current one.
    const crafted = await postForm(web, '/privacy/consult?lang=en', {
      lang: 'en',
      policyVersion: '1999.1',
      phone: uniquePhone(),
      email: uniqueEmail('x'),
      id_card: '<i>110105</i>',
    });
    expectPage(crafted, 400, 'en');
    const formError = textOf(crafted.text, 'form-error');
    expect(formError).toContain(
      'What was sent has a field this form does not have (“id_card”); please use the form on this page.',
    );
    expect(formError).toContain('This form has been updated; please check it and send it again.');
    expect(crafted.text).toContain('name="policyVersion" value="2026.1"');
    expect(crafted.text).not.toContain('<i>110105</i>');

    expect(await counts()).toEqual(before);
  });

  it('stores script in every text field as given and never renders it live', async () => {
    const email = uniqueEmail('script');
    const res = await postForm(web, '/privacy/consult?lang=en', {
      lang: 'en',
      policyVersion: '2026.1',
      phone: uniquePhone(),
      email,
      name: SCRIPT,
      company: SCRIPT,
      location: SCRIPT,
      free_text: SCRIPT,
    });
    expectPage(res, 200, 'en');
    const id = textOf(res.text, 'reference')!;
    const row = await env.ctx.store.db
      .selectFrom('inquiries')
      .select('subject_id')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const revealed = await officer.client.post(`/api/v1/subjects/${row.subject_id}/reveal`, {
      reason: 'checking the stored form values',
    });
    expect(revealed.status).toBe(200);
    const values = (revealed.body.records as Array<{ category: string; value: string }>)
      .filter((r) => ['name', 'company', 'location', 'free_text'].includes(r.category))
      .map((r) => r.value);
    expect(values).toEqual([SCRIPT, SCRIPT, SCRIPT, SCRIPT]);
  });

  it('builds its fields from the data map', async () => {
    const patch = (categories: Array<{ key: string; required: boolean }>) =>
      officer.client.patch('/api/v1/datamap/purposes/consultation', { categories });
    const seeded = [
      { key: 'phone', required: true },
      { key: 'email', required: true },
      { key: 'name', required: false },
      { key: 'company', required: false },
      { key: 'location', required: false },
      { key: 'free_text', required: false },
    ];
    expect((await patch([...seeded, { key: 'job_title', required: false }])).status).toBe(200);
    try {
      const page = await web.get('/privacy/consult?lang=en');
      expect(page.text).toContain('<label for="field-job_title">Job title (optional)</label>');
      expect((await patch(seeded.filter((c) => c.key !== 'company'))).status).toBe(200);
      const fewer = await web.get('/privacy/consult?lang=en');
      expect(fewer.text).not.toContain('name="company"');
      // A field the data map no longer declares is refused by name.
      const res = await postForm(web, '/privacy/consult?lang=en', {
        lang: 'en',
        policyVersion: '2026.1',
        phone: uniquePhone(),
        email: uniqueEmail('x'),
        company: 'Acme',
      });
      expectPage(res, 400, 'en');
      expect(textOf(res.text, 'form-error')).toContain('(“company”)');
    } finally {
      expect((await patch(seeded)).status).toBe(200);
    }
  });

  it('asks for a guardian when the data map adds a birth date, and holds a child’s form', async () => {
    const patch = (categories: Array<{ key: string; required: boolean }>) =>
      officer.client.patch('/api/v1/datamap/purposes/consultation', { categories });
    const seeded = [
      { key: 'phone', required: true },
      { key: 'email', required: true },
      { key: 'name', required: false },
      { key: 'company', required: false },
      { key: 'location', required: false },
      { key: 'free_text', required: false },
    ];
    expect((await patch([...seeded, { key: 'birth_date', required: false }])).status).toBe(200);
    try {
      const form = await web.get('/privacy/consult?lang=en');
      expect(form.text).toContain('<label for="field-birth_date">Date of birth (optional)</label>');
      expect(form.text).toMatch(/<input type="date" id="field-birth_date" name="birth_date"/);
      expect(form.text).toContain(
        '<input type="email" id="field-guardianEmail" name="guardianEmail"',
      );
      const year = env.clock.now().getUTCFullYear();
      const child = {
        lang: 'en',
        policyVersion: '2026.1',
        phone: uniquePhone(),
        email: uniqueEmail('child'),
        birth_date: `${year - 9}-03-01`,
      };
      const before = await counts();
      const noGuardian = await postForm(web, '/privacy/consult?lang=en', child);
      expectPage(noGuardian, 400, 'en');
      expect(textOf(noGuardian.text, 'guardianEmail-error')).toBe(
        'You are under 14: give your parent’s or guardian’s e-mail.',
      );
      const ticked = await postForm(web, '/privacy/consult?lang=en', {
        ...child,
        guardianEmail: uniqueEmail('parent'),
        'consent.marketing': 'yes',
      });
      expectPage(ticked, 400, 'en');
      expect(textOf(ticked.text, 'consent-marketing-error')).toBe(
        'Under 14, your guardian decides this; please leave it unticked.',
      );
      expect(await counts()).toEqual(before);

      const held = await postForm(web, '/privacy/consult?lang=en', {
        ...child,
        guardianEmail: uniqueEmail('parent'),
      });
      expectPage(held, 200, 'en');
      expect(held.text).toContain('Because you are under 14, we have e-mailed your parent');
      const id = textOf(held.text, 'reference')!;
      const row = await env.ctx.store.db
        .selectFrom('inquiries')
        .select(['status', 'subject_id'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('held');
    } finally {
      expect((await patch(seeded)).status).toBe(200);
    }
  });

  it('answers a non-form or oversized body with a page, never a JSON problem', async () => {
    const before = await counts();
    const json = await web.post('/privacy/consult', { phone: '13812345678' });
    expectPage(json, 415, 'zh-CN');
    const huge = await postForm(web, '/privacy/consult?lang=en', {
      free_text: 'y'.repeat(70_000),
    });
    expectPage(huge, 413, 'en');
    expect(await counts()).toEqual(before);
  });

  it('shows each purpose’s notice as of the current policy version, and records that one', async () => {
    // A new version that changes only the marketing notice (run last: it changes the form).
    const text =
      'Marketing notice, second edition: news and invitations by e-mail, opt out anytime.';
    const at = new Date(env.clock.now().getTime() - 60_000).toISOString();
    await env.ctx.store.db
      .insertInto('policy_versions')
      .values({
        version: '2026.2',
        published_at: at,
        summary_en: 'Marketing notice reworded.',
        summary_zh: '营销告知措辞更新。',
        changed_purposes: JSON.stringify(['marketing']),
        created_at: at,
      })
      .execute();
    await env.ctx.store.db
      .insertInto('consent_notices')
      .values({
        id: 'test:marketing:en:2026.2',
        purpose_key: 'marketing',
        lang: 'en',
        policy_version: '2026.2',
        text,
        sha256: createHash('sha256').update(text, 'utf8').digest(),
        created_at: at,
      })
      .execute();
    const form = await web.get('/privacy/consult?lang=en');
    expect(form.text).toContain('<input type="hidden" name="policyVersion" value="2026.2">');
    expect(textOf(form.text, 'consent-marketing-notice')).toBe(text);
    expect(textOf(form.text, 'notice-text')).toBe(await notice('consultation', 'en'));

    const res = await postForm(web, '/privacy/consult?lang=en', {
      lang: 'en',
      policyVersion: '2026.2',
      phone: uniquePhone(),
      email: uniqueEmail('v2'),
      'consent.marketing': 'yes',
    });
    expectPage(res, 200, 'en');
    const id = textOf(res.text, 'reference')!;
    const ledger = await env.ctx.store.db
      .selectFrom('consent_records')
      .select(['purpose_key', 'policy_version', 'notice_sha256'])
      .where('source', '=', `inquiry:${id}`)
      .orderBy('purpose_key')
      .execute();
    const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
    expect(
      ledger.map((l) => [
        l.purpose_key,
        l.policy_version,
        Buffer.from(l.notice_sha256!).toString('hex'),
      ]),
    ).toEqual([
      ['consultation', '2026.2', sha(await notice('consultation', 'en'))],
      ['marketing', '2026.2', sha(text)],
    ]);
  });
});
