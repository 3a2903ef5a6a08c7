// The consultation form in real Chromium with JavaScript switched off: a person fills it in, ticks
// the separate marketing box, sends it and sees the confirmation; the inquiry and the choices are
// stored. A bad phone number brings the form back with the message at the field, the values kept
// and inert, and nothing stored.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from '../support/browser.js';
import { makeEnv, type TestEnv } from '../support/env.js';

const SCRIPT = '<script>document.title = "pwned"</script>';

describe('consultation form in Chromium without JavaScript', () => {
  let env: TestEnv;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const countInquiries = async () =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom('inquiries')
          .select(sql<number>`count(*)`.as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    env = await makeEnv('sqlite');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });
  beforeEach(async () => {
    context = await newContext(browser, { javaScriptEnabled: false, locale: 'en-US' });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context.close();
  });

  it('is filled in, sent, and confirmed; the inquiry and the marketing grant are stored', async () => {
    const email = `browser.${randomBytes(4).toString('hex')}@example.com`;
    await page.goto(`${env.url}/privacy/consult?lang=en`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('script').count()).toBe(0);
    await page.getByLabel('Phone number (required)').fill('138 1234 5678');
    await page.getByLabel('E-mail address (required)').fill(email);
    await page.getByLabel('Name (optional)', { exact: true }).fill('Sun Li');
    await page.getByLabel('Coarse location (city or region) (optional)').fill('Wuhan');
    await page
      .getByLabel('Free text written by the person (optional)')
      .fill('Which data do you keep?\nThanks.');
    const marketing = page.getByRole('checkbox');
    expect(await marketing.isChecked()).toBe(false);
    await marketing.check();
    await page.getByRole('button', { name: 'Send' }).click();

    await page.getByRole('heading', { name: 'We have received your question' }).waitFor();
    const reference = (await page.locator('#reference').textContent())?.trim() ?? '';
    expect(reference).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.locator('#receipt-link').getAttribute('href')).toMatch(
      /^\/api\/v1\/consent\/receipt\?token=/,
    );

    const row = await env.ctx.store.db
      .selectFrom('inquiries')
      .selectAll()
      .where('id', '=', reference)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ channel: 'web', status: 'received', lang: 'en' });
    const ledger = await env.ctx.store.db
      .selectFrom('consent_records')
      .select(['purpose_key', 'decision'])
      .where('source', '=', `inquiry:${reference}`)
      .orderBy('purpose_key')
      .execute();
    expect(ledger).toEqual([
      { purpose_key: 'consultation', decision: 'acknowledge' },
      { purpose_key: 'marketing', decision: 'grant' },
    ]);
    const records = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('category')
      .where('source', '=', `inquiry:${reference}`)
      .where('purpose', '=', 'consultation')
      .orderBy('category')
      .execute();
    expect(records.map((r) => r.category)).toEqual([
      'email',
      'free_text',
      'location',
      'name',
      'phone',
    ]);
  });

  it('comes back with the message at the phone field, the values kept and inert', async () => {
    const before = await countInquiries();
    await page.goto(`${env.url}/privacy/consult?lang=en`);
    await page.getByLabel('Phone number (required)').fill('12345');
    await page
      .getByLabel('E-mail address (required)')
      .fill(`bad.phone.${randomBytes(3).toString('hex')}@example.com`);
    await page.getByLabel('Name (optional)', { exact: true }).fill(SCRIPT);
    await page.getByRole('button', { name: 'Send' }).click();

    await page.locator('#phone-error').waitFor();
    expect(await page.locator('#phone-error').textContent()).toContain(
      'This is not a valid phone number',
    );
    const phone = page.getByLabel('Phone number (required)');
    expect(await phone.getAttribute('aria-invalid')).toBe('true');
    expect(await phone.inputValue()).toBe('12345');
    // The script came back as the field's text, not as an element.
    expect(await page.getByLabel('Name (optional)', { exact: true }).inputValue()).toBe(SCRIPT);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
    expect(await page.getByRole('alert').textContent()).toContain(
      'Please correct the fields marked below',
    );
    expect(await countInquiries()).toBe(before);
  });
});
