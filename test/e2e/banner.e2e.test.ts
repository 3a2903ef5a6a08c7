// The cookie banner in real Chromium, on a site of another origin than Custos (a small shop served
// from www.shop.localhost, which Chromium resolves to loopback, so its cookies can also live on
// the parent domain .shop.localhost). Tagged scripts and an iframe stay inert until consent;
// accept, reject and withdraw reach the ledger; GPC and DNT deny without a banner; a new policy
// version asks again only for the purpose whose notice changed; the dialog works by keyboard, in
// zh-CN, and Google Consent Mode sees denied defaults before any tag and an update after a choice.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visitorDigest } from '../../src/consent/ledger.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { makeEnv, type TestEnv } from '../support/env.js';
import { loginAs } from '../support/http.js';

interface Shop {
  origin: string;
  close(): Promise<void>;
}

/** The shop: a page with the gate first, a stand-in Google tag, tagged scripts and an iframe. */
async function startShop(custos: () => string): Promise<Shop> {
  const page = (lang: string | null) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="${custos()}/consent.js"${lang === null ? '' : ` data-lang="${lang}"`}></script>
<script>
  // Stands in for the Google tag snippet: what it finds queued when it first runs.
  window.seenByTag = window.dataLayer.map(function (e) { return Array.from(e); });
</script>
<script type="text/plain" data-category="analytics">
  window.analyticsRan = (window.analyticsRan || 0) + 1;
  document.cookie = '_ga=GA1.1.42; path=/';
</script>
<script type="text/plain" data-category="marketing" data-src="/ads.js"></script>
</head><body>
<h1>Shop</h1>
<iframe title="Advertising" data-category="marketing" data-src="/frame.html"></iframe>
<footer><button type="button" data-custos-preferences>Cookie settings</button></footer>
</body></html>`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    const send = (type: string, body: string) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/ads.js')
      send('text/javascript', 'window.marketingRan = (window.marketingRan || 0) + 1;');
    else if (url.pathname === '/frame.html') send('text/html', '<!doctype html><p>ad</p>');
    else if (url.pathname === '/')
      send('text/html; charset=utf-8', page(url.searchParams.get('lang')));
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://www.shop.localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Visit {
  context: BrowserContext;
  page: Page;
  /** Bodies of the consent events the page sent, in order. */
  events: Array<ReturnType<typeof JSON.parse>>;
  /** Uncaught errors in the page: each test ends by expecting none. */
  errors: string[];
}

const CONSENT_DEFAULT = {
  ad_storage: 'denied',
  analytics_storage: 'denied',
  ad_user_data: 'denied',
  ad_personalization: 'denied',
  functionality_storage: 'denied',
  personalization_storage: 'denied',
  security_storage: 'granted',
  wait_for_update: 500,
};

describe('the cookie banner in Chromium', () => {
  let env: TestEnv;
  let shop: Shop;
  let browser: Browser;
  const open: BrowserContext[] = [];

  beforeAll(async () => {
    shop = await startShop(() => env.url);
    // Only the shop may call the consent API: the banner works with a real CORS allow-list.
    env = await makeEnv('sqlite', { CUSTOS_CONSENT_ORIGINS: shop.origin });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    await browser?.close();
    await env?.close();
    await shop?.close();
  });

  async function visit(
    options: Parameters<typeof newContext>[1] = {},
    path = '/',
    context?: BrowserContext,
  ): Promise<Visit> {
    const ctx = context ?? (await newContext(browser, options));
    if (context === undefined) open.push(ctx);
    const page = await ctx.newPage();
    const events: Visit['events'] = [];
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/consent/events'))
        events.push(JSON.parse(r.postData() ?? '{}'));
    });
    await page.goto(`${shop.origin}${path}`);
    return { context: ctx, page, events, errors };
  }

  const dialog = (page: Page) => page.getByRole('dialog');
  const flag = (page: Page, name: string) => page.evaluate(`window[${JSON.stringify(name)}]`);

  /** The visitor id the gate keeps in its first-party cookie. */
  async function visitorOf(context: BrowserContext): Promise<string> {
    const cookie = (await context.cookies(shop.origin)).find((c) => c.name === 'custos_consent');
    if (cookie === undefined) throw new Error('no custos_consent cookie');
    return JSON.parse(decodeURIComponent(cookie.value)).v;
  }

  async function ledger(context: BrowserContext) {
    const visitor = await visitorOf(context);
    return env.ctx.store.db
      .selectFrom('consent_records')
      .selectAll()
      .where('visitor_digest', '=', visitorDigest(env.ctx, visitor))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Evaluates an expression in the page with `root` bound to the banner's shadow root. */
  const inBanner = <T = unknown>(page: Page, expression: string) =>
    page.evaluate<T>(
      `(() => { const root = document.querySelector('[data-custos-banner]').shadowRoot; return ${expression}; })()`,
    );

  /** The Consent Mode commands queued so far, as plain arrays. */
  const consentCommands = (page: Page) =>
    page.evaluate<unknown[][]>(
      `window.dataLayer.filter((e) => typeof e === 'object' && 'length' in e).map((e) => Array.from(e))`,
    );

  /** Waits until the gate has applied a stored choice (it queues a Consent Mode update). */
  const applied = (page: Page) =>
    page.waitForFunction(
      `window.dataLayer.some((e) => typeof e === 'object' && 'length' in e && e[1] === 'update')`,
    );

  it('holds tagged scripts and the iframe until "Accept all", with Consent Mode defaults first', async () => {
    const v = await visit();
    await dialog(v.page).waitFor();

    // Before any tag: the consent default, every signal denied but security.
    const seen = (await flag(v.page, 'seenByTag')) as unknown[][];
    expect(seen[0]).toEqual(['consent', 'default', CONSENT_DEFAULT]);
    expect(await flag(v.page, 'analyticsRan')).toBeUndefined();
    expect(await flag(v.page, 'marketingRan')).toBeUndefined();
    expect(await v.page.locator('iframe').getAttribute('src')).toBeNull();

    // The dialog is labelled and described for screen readers, and has the focus.
    const d = dialog(v.page);
    expect(await d.getAttribute('aria-modal')).toBe('true');
    expect(await v.page.getByRole('dialog', { name: 'Cookies on this site' }).count()).toBe(1);
    const described = await inBanner(
      v.page,
      `root.getElementById(root.querySelector('[role=dialog]').getAttribute('aria-describedby')).textContent`,
    );
    expect(described).toMatch(/strictly necessary cookies/);
    expect(
      await inBanner(v.page, `root.activeElement === root.querySelector('[role=dialog]')`),
    ).toBe(true);

    // Reject is as easy as accept: both buttons the same size, side by side.
    const accept = v.page.getByRole('button', { name: 'Accept all' });
    const reject = v.page.getByRole('button', { name: 'Reject all' });
    const [a, r] = [(await accept.boundingBox())!, (await reject.boundingBox())!];
    expect(Math.abs(a.width - r.width)).toBeLessThan(2);
    expect(Math.abs(a.height - r.height)).toBeLessThan(2);
    expect(Math.abs(a.y - r.y)).toBeLessThan(2);

    // A tag the page adds later is held too, and the site can listen for changes.
    await v.page.evaluate(`
      const late = document.createElement('script');
      late.type = 'text/plain';
      late.setAttribute('data-category', 'analytics');
      late.text = 'window.lateRan = true';
      document.body.append(late);
      window.CustosConsent.onChange((state) => (window.changes = (window.changes || []).concat([state])));
    `);
    expect(await flag(v.page, 'lateRan')).toBeUndefined();

    await accept.click();
    await dialog(v.page).waitFor({ state: 'detached' });
    await v.page.waitForFunction('window.analyticsRan === 1');
    await v.page.waitForFunction('window.marketingRan === 1');
    await v.page.waitForFunction('window.lateRan === true');
    await v.page.waitForFunction(
      `window.changes?.some((s) => s.analytics && s.marketing && s.functional)`,
    );
    expect(await v.page.locator('iframe').getAttribute('src')).toBe('/frame.html');
    expect(await v.page.evaluate("window.CustosConsent.get('analytics')")).toBe(true);

    // Consent Mode: the last update grants what was accepted.
    const updates = (await consentCommands(v.page)).filter((c) => c[1] === 'update');
    expect(updates.at(-1)).toEqual([
      'consent',
      'update',
      {
        ad_storage: 'granted',
        analytics_storage: 'granted',
        ad_user_data: 'granted',
        ad_personalization: 'granted',
        functionality_storage: 'granted',
        personalization_storage: 'granted',
        security_storage: 'granted',
      },
    ]);

    // Marketing needs separate consent: its grant travelled alone, in its own event.
    expect(v.events).toHaveLength(2);
    const marketingEvent = v.events.find((e) =>
      e.decisions.some((x: { category: string }) => x.category === 'marketing'),
    )!;
    expect(marketingEvent.decisions).toEqual([{ category: 'marketing', granted: true }]);
    expect(v.events.every((e) => e.method === 'banner' && e.action === 'accept_all')).toBe(true);

    const rows = await ledger(v.context);
    expect(rows.map((x) => [x.purpose_key, x.decision, x.method]).sort()).toEqual([
      ['advertising', 'grant', 'banner'],
      ['website_analytics', 'grant', 'banner'],
      ['website_preferences', 'grant', 'banner'],
    ]);
    expect(rows.every((x) => x.notice_sha256 !== null && x.lang === 'en')).toBe(true);

    // The next page applies the stored choice without asking.
    await v.page.reload();
    await applied(v.page);
    await v.page.waitForFunction('window.analyticsRan === 1');
    expect(await v.page.locator('[data-custos-banner]').count()).toBe(0);
    expect(await ledger(v.context)).toHaveLength(3);
    expect(v.errors).toEqual([]);
  });

  it('"Reject all" runs nothing and records denials', async () => {
    const v = await visit();
    await v.page.getByRole('button', { name: 'Reject all' }).click();
    await dialog(v.page).waitFor({ state: 'detached' });

    const rows = await ledger(v.context);
    expect(rows.map((x) => [x.purpose_key, x.decision, x.method]).sort()).toEqual([
      ['advertising', 'deny', 'banner'],
      ['website_analytics', 'deny', 'banner'],
      ['website_preferences', 'deny', 'banner'],
    ]);
    // Denials may travel together: one event.
    expect(v.events).toHaveLength(1);
    expect(v.events[0]!.action).toBe('reject_all');

    await v.page.reload();
    await applied(v.page);
    expect(await flag(v.page, 'analyticsRan')).toBeUndefined();
    expect(await flag(v.page, 'marketingRan')).toBeUndefined();
    expect(await v.page.locator('iframe').getAttribute('src')).toBeNull();
    expect(await v.page.locator('[data-custos-banner]').count()).toBe(0);
    const last = (await consentCommands(v.page)).filter((c) => c[1] === 'update').at(-1)!;
    expect(last[2]).toMatchObject({ analytics_storage: 'denied', ad_storage: 'denied' });
    // A tag added after the choice stays inert as well (the observer sees it and leaves it).
    await v.page.evaluate(`
      const late = document.createElement('script');
      late.type = 'text/plain';
      late.setAttribute('data-category', 'marketing');
      late.setAttribute('data-src', '/ads.js');
      document.body.append(late);
    `);
    await v.page.evaluate('new Promise((resolve) => setTimeout(resolve, 200))');
    expect(await flag(v.page, 'marketingRan')).toBeUndefined();
    expect(
      await v.page.locator('script[data-category="marketing"][type="text/plain"]').count(),
    ).toBe(2);
    expect(v.errors).toEqual([]);
  });

  it('withdrawing in the preferences records a withdrawal and deletes the cookies, here and on the parent domain', async () => {
    const v = await visit();
    await v.page.getByRole('button', { name: 'Accept all' }).click();
    await dialog(v.page).waitFor({ state: 'detached' });
    await v.page.waitForFunction('window.analyticsRan === 1');
    // The analytics tag set _ga on this host; a tag may also set its cookies site-wide.
    await v.page.evaluate(`
      document.cookie = '_ga_K2L=GS1.1; domain=.shop.localhost; path=/';
      document.cookie = '_ga=GA1.2.7; domain=shop.localhost; path=/';
      document.cookie = 'cart=3; path=/';
    `);
    const names = async () =>
      (await v.context.cookies(shop.origin)).map((c) => `${c.name}@${c.domain}`).sort();
    expect(await names()).toEqual(
      expect.arrayContaining([
        '_ga@www.shop.localhost',
        '_ga@.shop.localhost',
        '_ga_K2L@.shop.localhost',
      ]),
    );

    // The footer link opens the preferences, showing the current choice.
    await v.page.getByRole('button', { name: 'Cookie settings' }).click();
    await dialog(v.page).waitFor();
    const analytics = v.page.getByRole('checkbox', { name: 'Analytics' });
    expect(await analytics.isChecked()).toBe(true);
    expect(await v.page.getByRole('checkbox', { name: /Strictly necessary/ }).isDisabled()).toBe(
      true,
    );
    // The receipt of this visitor's consents is one link away, and it is theirs.
    const receipt = await v.page
      .getByRole('link', { name: 'Download my consent receipt' })
      .getAttribute('href');
    expect(receipt).toBe(`${env.url}/api/v1/consent/receipt?visitor=${await visitorOf(v.context)}`);
    const fetched = await fetch(receipt!);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toMatch(/^application\/json/);

    await analytics.uncheck();
    await v.page.getByRole('button', { name: 'Save choices' }).click();
    await dialog(v.page).waitFor({ state: 'detached' });

    expect(await names()).toEqual(['cart@www.shop.localhost', 'custos_consent@www.shop.localhost']);
    const rows = await ledger(v.context);
    const analyticsRows = rows.filter((x) => x.purpose_key === 'website_analytics');
    expect(analyticsRows.map((x) => x.decision)).toEqual(['grant', 'withdraw']);
    // Only what changed was sent; marketing stays granted.
    expect(v.events.at(-1)!.decisions).toEqual([{ category: 'analytics', granted: false }]);
    expect(await v.page.evaluate("window.CustosConsent.get('analytics')")).toBe(false);
    expect(await v.page.evaluate("window.CustosConsent.get('marketing')")).toBe(true);
    const last = (await consentCommands(v.page)).filter((c) => c[1] === 'update').at(-1)!;
    expect(last[2]).toMatchObject({ analytics_storage: 'denied', ad_storage: 'granted' });
    // The visitor id is a bearer secret of the browser: no log line carries it.
    expect(env.logs.join('\n')).not.toContain(await visitorOf(v.context));
    expect(v.errors).toEqual([]);
  });

  it.each([
    ['GPC', 'gpc', { gpc: true }],
    ['DNT', 'dnt', { dnt: true }],
    ['GPC with DNT (GPC wins)', 'gpc', { gpc: true, dnt: true }],
  ] as const)(
    '%s denies every non-essential category without a banner',
    async (_label, method, signal) => {
      const ctx = await newContext(browser, signal);
      open.push(ctx);
      const page = await ctx.newPage();
      const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/consent/events'));
      await page.goto(`${shop.origin}/`);
      expect((await posted).status()).toBe(201);
      expect(await page.locator('[data-custos-banner]').count()).toBe(0);
      expect(await flag(page, 'analyticsRan')).toBeUndefined();

      const rows = await ledger(ctx);
      expect(rows.map((x) => [x.purpose_key, x.decision, x.method]).sort()).toEqual([
        ['advertising', 'deny', method],
        ['website_analytics', 'deny', method],
        ['website_preferences', 'deny', method],
      ]);
      expect(rows.every((x) => (method === 'gpc' ? x.gpc : x.dnt) === 1)).toBe(true);

      // Later pages neither ask nor record again; the preferences say the signal was honoured.
      await page.reload();
      await applied(page);
      expect(await page.locator('[data-custos-banner]').count()).toBe(0);
      await page.getByRole('button', { name: 'Cookie settings' }).click();
      await dialog(page).waitFor();
      const note = method === 'gpc' ? /Global Privacy Control/ : /Do Not Track/;
      expect(await page.getByRole('status').textContent()).toMatch(note);
      expect(await ledger(ctx)).toHaveLength(3);
    },
  );

  it('works by keyboard in zh-CN: Esc accepts nothing, Tab reaches "Reject all", Enter rejects', async () => {
    const v = await visit({}, '/?lang=zh-CN');
    await v.page.getByRole('dialog', { name: '本网站使用 Cookie' }).waitFor();
    expect(await v.page.getByRole('button', { name: '全部接受' }).count()).toBe(1);

    await v.page.keyboard.press('Escape');
    expect(await dialog(v.page).count()).toBe(1);
    expect(v.events).toHaveLength(0);

    const focused = () =>
      v.page.evaluate(`document.activeElement?.shadowRoot?.activeElement?.textContent ?? null`);
    let steps = 0;
    while ((await focused()) !== '全部拒绝') {
      expect(++steps).toBeLessThan(10);
      await v.page.keyboard.press('Tab');
    }
    await v.page.keyboard.press('Enter');
    await dialog(v.page).waitFor({ state: 'detached' });

    const rows = await ledger(v.context);
    expect(rows).toHaveLength(3);
    expect(rows.every((x) => x.decision === 'deny' && x.lang === 'zh-CN')).toBe(true);
    expect(v.errors).toEqual([]);
  });

  it('keeps focus in the dialog: Tab from the last control comes back to the first', async () => {
    const v = await visit();
    await dialog(v.page).waitFor();
    const inDialog = () =>
      v.page.evaluate(`document.activeElement?.hasAttribute('data-custos-banner') ?? false`);
    for (let i = 0; i < 8; i++) {
      await v.page.keyboard.press('Tab');
      expect(await inDialog()).toBe(true);
    }
    for (let i = 0; i < 8; i++) {
      await v.page.keyboard.press('Shift+Tab');
      expect(await inDialog()).toBe(true);
    }
  });

  it('a GPC signal leaves an explicit earlier choice standing', async () => {
    const first = await visit();
    await first.page.getByRole('button', { name: 'Accept all' }).click();
    await dialog(first.page).waitFor({ state: 'detached' });

    const withGpc = await newContext(browser, { gpc: true });
    open.push(withGpc);
    await withGpc.addCookies(await first.context.cookies(shop.origin));
    const v = await visit({}, '/', withGpc);
    await applied(v.page);
    await v.page.waitForFunction('window.analyticsRan === 1');
    expect(await v.page.locator('[data-custos-banner]').count()).toBe(0);
    expect(v.events).toEqual([]);
    expect((await ledger(withGpc)).map((x) => x.method)).toEqual(['banner', 'banner', 'banner']);
  });

  it('asks again, for everything, once a choice is older than the validity period', async () => {
    const first = await visit();
    await first.page.getByRole('button', { name: 'Accept all' }).click();
    await dialog(first.page).waitFor({ state: 'detached' });
    const [cookie] = (await first.context.cookies(shop.origin)).filter(
      (c) => c.name === 'custos_consent',
    );
    const stored = JSON.parse(decodeURIComponent(cookie!.value));
    const old = Math.floor(Date.now() / 1000) - (env.ctx.config.consentValidDays + 1) * 86400;
    for (const k of Object.keys(stored.c)) stored.c[k][2] = old;

    const later = await newContext(browser);
    open.push(later);
    await later.addCookies([{ ...cookie!, value: encodeURIComponent(JSON.stringify(stored)) }]);
    const v = await visit({}, '/', later);
    // Nothing is a new notice: the usual first question, about every category; nothing runs.
    await v.page.getByRole('dialog', { name: 'Cookies on this site' }).waitFor();
    expect(await flag(v.page, 'analyticsRan')).toBeUndefined();
    expect(await flag(v.page, 'marketingRan')).toBeUndefined();
    await v.page.getByRole('button', { name: 'Reject all' }).click();
    await dialog(v.page).waitFor({ state: 'detached' });
    const rows = await ledger(later);
    expect(
      rows
        .slice(3)
        .map((x) => [x.purpose_key, x.decision])
        .sort(),
    ).toEqual([
      ['advertising', 'withdraw'],
      ['website_analytics', 'withdraw'],
      ['website_preferences', 'withdraw'],
    ]);
    expect(v.errors).toEqual([]);
  });

  it('treats an unreadable stored choice as no choice', async () => {
    const broken = await newContext(browser);
    open.push(broken);
    const valid = '3f0c8a52-7d4e-4c1b-9a6f-2b8e5d1c7a90';
    await broken.addCookies([
      {
        name: 'custos_consent',
        // A visitor id the gate keeps, with entries it cannot read.
        value: encodeURIComponent(
          JSON.stringify({ v: valid, c: { analytics: 1, marketing: null } }),
        ),
        url: shop.origin,
      },
    ]);
    const v = await visit({}, '/', broken);
    await v.page.getByRole('dialog', { name: 'Cookies on this site' }).waitFor();
    expect(await flag(v.page, 'analyticsRan')).toBeUndefined();
    await v.page.getByRole('button', { name: 'Accept all' }).click();
    await dialog(v.page).waitFor({ state: 'detached' });
    await v.page.waitForFunction('window.analyticsRan === 1');
    expect(await visitorOf(broken)).toBe(valid);
    expect(await ledger(broken)).toHaveLength(3);

    // Not JSON at all: a new visitor.
    const garbled = await newContext(browser);
    open.push(garbled);
    await garbled.addCookies([{ name: 'custos_consent', value: '%7Bnot-json', url: shop.origin }]);
    const w = await visit({}, '/', garbled);
    await dialog(w.page).waitFor();
    await w.page.getByRole('button', { name: 'Reject all' }).click();
    await dialog(w.page).waitFor({ state: 'detached' });
    expect(await visitorOf(garbled)).not.toBe(valid);
    expect(await ledger(garbled)).toHaveLength(3);
    expect([...v.errors, ...w.errors]).toEqual([]);
  });

  it('asks again only about analytics when a new policy version changes its notice', async () => {
    const first = await visit();
    await first.page.getByRole('button', { name: 'Accept all' }).click();
    await dialog(first.page).waitFor({ state: 'detached' });
    await first.page.waitForFunction('window.marketingRan === 1');
    const before = await ledger(first.context);
    expect(before).toHaveLength(3);

    const officer = await loginAs(env, 'privacy_officer');
    const published = await officer.client.post('/api/v1/policies', {
      version: '2026.2',
      summaryEn: 'Analytics now also measures scroll depth.',
      summaryZh: '分析类 Cookie 现在也统计页面滚动深度。',
      notices: [
        {
          purpose: 'website_analytics',
          lang: 'en',
          text: 'Analytics cookies count visits, pages viewed and how far you scroll, so we can improve the site. They are set only if you allow them.',
        },
        {
          purpose: 'website_analytics',
          lang: 'zh-CN',
          text: '分析类 Cookie 统计访问次数、浏览的页面和页面滚动深度，帮助我们改进网站。仅在您允许时设置。',
        },
      ],
    });
    expect(published.status).toBe(201);

    // A later visit (a fresh browser cache, the same cookies): only analytics is asked about.
    const later = await newContext(browser);
    open.push(later);
    await later.addCookies(await first.context.cookies(shop.origin));
    const v = await visit({}, '/', later);
    await v.page.getByRole('dialog', { name: 'We changed how we use some cookies' }).waitFor();
    // Unchanged and granted: marketing runs; analytics waits for the new answer.
    await v.page.waitForFunction('window.marketingRan === 1');
    expect(await flag(v.page, 'analyticsRan')).toBeUndefined();
    await v.page.getByRole('button', { name: 'Preferences' }).click();
    const boxes = await inBanner<string[]>(
      v.page,
      `[...root.querySelectorAll('input[type=checkbox]')].map((e) => e.id)`,
    );
    expect(boxes.sort()).toEqual(['c-analytics', 'c-necessary']);
    expect(await v.page.getByRole('dialog').textContent()).toContain('how far you scroll');

    await v.page.getByRole('button', { name: 'Accept all' }).click();
    await dialog(v.page).waitFor({ state: 'detached' });
    await v.page.waitForFunction('window.analyticsRan === 1');
    expect(v.events).toHaveLength(1);
    expect(v.events[0]!.decisions).toEqual([{ category: 'analytics', granted: true }]);
    expect(v.events[0]!.policyVersion).toBe('2026.2');
    const after = await ledger(later);
    expect(after).toHaveLength(4);
    expect([after[3]!.purpose_key, after[3]!.decision, after[3]!.policy_version]).toEqual([
      'website_analytics',
      'grant',
      '2026.2',
    ]);
    expect(v.errors).toEqual([]);
  });
});
