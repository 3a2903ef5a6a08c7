// Real Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (nothing is
// downloaded). Each test gets a fresh, isolated context; GPC and DNT are switched on per context
// the way a browser with the setting on behaves: the request header and the DOM value.
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CUSTOS_TEST_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

export interface SignalOptions {
  /** Send `Sec-GPC: 1` and expose `navigator.globalPrivacyControl === true`. */
  gpc?: boolean;
  /** Send `DNT: 1` and expose `navigator.doNotTrack === '1'`. */
  dnt?: boolean;
  javaScriptEnabled?: boolean;
  locale?: string;
}

export async function newContext(
  browser: Browser,
  options: SignalOptions = {},
): Promise<BrowserContext> {
  const headers: Record<string, string> = {};
  if (options.gpc === true) headers['Sec-GPC'] = '1';
  if (options.dnt === true) headers.DNT = '1';
  const context = await browser.newContext({
    extraHTTPHeaders: headers,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    locale: options.locale ?? 'en-US',
  });
  // Runs in the page before any of its scripts (the page, not Node, has a DOM).
  const init: string[] = [];
  if (options.gpc === true)
    init.push(
      "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });",
    );
  if (options.dnt === true)
    init.push("Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' });");
  if (init.length > 0) await context.addInitScript({ content: init.join('\n') });
  return context;
}
