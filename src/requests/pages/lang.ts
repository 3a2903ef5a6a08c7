// Which language a page is shown in: an explicit `?lang=` (or form field) wins, then the
// browser's Accept-Language (RFC 9110 §12.5.4, by quality), then Simplified Chinese.
import type { Lang } from '../contracts.js';

/** The language named by a query or form value, or null when it names none we have. */
export function langParam(value: unknown): Lang | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  if (v === 'en' || v.startsWith('en-')) return 'en';
  if (v === 'zh' || v === 'zh-cn' || v.startsWith('zh-')) return 'zh-CN';
  return null;
}

/** The best of our languages for an Accept-Language header; zh-CN when nothing matches. */
export function negotiateLang(header: string | string[] | undefined): Lang {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  let best: { lang: Lang; q: number } | null = null;
  // Bounded: a header is a few entries; a hostile one cannot make us loop for long.
  for (const part of raw.split(',').slice(0, 20)) {
    const [tag = '', ...params] = part.trim().split(';');
    const lang = langParam(tag);
    if (lang === null) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (q > 0 && (best === null || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? 'zh-CN';
}

/** The page language for a request: the explicit choice, else the browser's. */
export function pageLang(explicit: unknown, acceptLanguage: string | string[] | undefined): Lang {
  return langParam(explicit) ?? negotiateLang(acceptLanguage);
}
