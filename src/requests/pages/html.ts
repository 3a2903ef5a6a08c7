// Markup helpers for the public pages. Everything that did not come from this file is escaped at
// the point it is written into HTML (OWASP XSS prevention rules 1 and 2): text through `esc`,
// attribute values always double-quoted and escaped. The pages carry no script and no inline
// style, so the CSP can forbid both.
import { escapeHtml } from '../../notify/render.js';
import type { Lang } from '../contracts.js';
import { TEXTS } from './texts.js';

/** Markup that is already safe: produced here from escaped parts. */
export interface Html {
  readonly html: string;
}

export const raw = (html: string): Html => ({ html });

type Part = Html | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (typeof part === 'string') return escapeHtml(part);
  if (typeof part === 'number') return String(part);
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return (part as Html).html;
}

/**
 * Tagged template (not named `html`, so formatters leave the markup as written): interpolated strings are escaped, `Html` values are inserted as they are,
 * arrays are joined. Attributes must be written double-quoted in the template.
 */
export function markup(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? '';
  parts.forEach((p, i) => {
    out += render(p) + (strings[i + 1] ?? '');
  });
  return { html: out };
}

export const STYLESHEET_PATH = '/privacy/assets/site.css';

/** The CSP of every page: our stylesheet, forms posting only to us, nothing else at all. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A whole page in one language, with a link to the same page in the other language. */
export function page(
  lang: Lang,
  title: string,
  body: Html,
  options: { otherLanguageHref?: string; contact?: string | null } = {},
): string {
  return sitePage(lang, TEXTS[lang].siteTitle, title, body, options);
}

/**
 * The frame of every public page (rights requests, consultation, guardian, unsubscribe): one
 * stylesheet, no script, the site's title, a switch to the other language and the privacy contact.
 */
export function sitePage(
  lang: Lang,
  siteTitle: string,
  title: string,
  body: Html,
  options: { otherLanguageHref?: string; contact?: string | null } = {},
): string {
  const t = TEXTS[lang];
  const other = t.otherLanguage;
  const switcher =
    options.otherLanguageHref !== undefined
      ? markup`<p class="lang"><a href="${options.otherLanguageHref}" hreflang="${other.lang}" lang="${other.lang}">${other.label}</a></p>`
      : null;
  const footer = options.contact
    ? markup`<footer class="site"><p>${t.privacyContact}: ${options.contact}</p></footer>`
    : null;
  return markup`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${siteTitle}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header class="site">
<p class="site-title">${siteTitle}</p>
${switcher}
</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
${footer}
</body>
</html>
`.html;
}
