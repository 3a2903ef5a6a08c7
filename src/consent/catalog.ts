// What the public consent API decides against, held in memory: the banner's categories, the purposes
// behind them (which need separate consent), every published policy version and the exact notice
// text of each purpose in each version and language. Consent events are validated against it with
// no database read (they are the hot path, see bench/). This process drops it when it publishes a
// policy; other instances (and data-map edits) are picked up within CATALOG_TTL_MS, the stale
// snapshot still answering while a fresh one loads.
import { performance } from 'node:perf_hooks';
import type { AppContext } from '../context.js';
import type { Db } from '../db/store.js';
import { sha256 } from './ledger.js';
import type { ConsentConfig } from './schema.js';

export const CATALOG_TTL_MS = 5_000;

export type Lang = 'zh-CN' | 'en';
export const LANGS: readonly Lang[] = ['zh-CN', 'en'];

export interface CatalogNotice {
  text: string;
  sha256: Buffer;
}

export interface CatalogCategory {
  key: string;
  purpose: string | null;
  essential: boolean;
  /** The purpose needs its own grant (PIPL arts. 23, 25, 26, 29, 39), never bundled. */
  separate: boolean;
  names: Record<Lang, string>;
}

export interface CatalogPurpose {
  key: string;
  legalBasis: string;
  separate: boolean;
  names: Record<Lang, string>;
}

export interface Catalog {
  /** The version in force (published last). */
  latest: string;
  versions: ReadonlySet<string>;
  /** Active categories by key. */
  categories: ReadonlyMap<string, CatalogCategory>;
  /** Active purposes by key. */
  purposes: ReadonlyMap<string, CatalogPurpose>;
  /** The notice a category shows under a version and language (`null`: unknown version). */
  noticeOf(category: CatalogCategory, version: string, lang: Lang): CatalogNotice | null;
  /** The notice of a purpose under a version and language, when one was published. */
  purposeNotice(purpose: string, version: string, lang: Lang): CatalogNotice | null;
  /** `GET /consent/config` for a language, computed once per snapshot. */
  config(lang: Lang): ConsentConfig;
}

const noticeKey = (version: string, purpose: string, lang: Lang) =>
  `${version}\u0000${purpose}\u0000${lang}`;

/** Reads everything the catalog holds: four small tables. */
export async function loadCatalog(db: Db, validDays: number): Promise<Catalog> {
  const [versions, notices, categoryRows, purposeRows] = await Promise.all([
    db
      .selectFrom('policy_versions')
      .select(['version', 'changed_purposes'])
      .orderBy('published_at', 'asc')
      .orderBy('version', 'asc')
      .execute(),
    db
      .selectFrom('consent_notices')
      .select(['purpose_key', 'lang', 'policy_version', 'text', 'sha256'])
      .execute(),
    db
      .selectFrom('cookie_categories')
      .selectAll()
      .where('status', '=', 'active')
      .orderBy('position')
      .orderBy('key')
      .execute(),
    db
      .selectFrom('purposes')
      .select(['key', 'legal_basis', 'separate_consent', 'name_en', 'name_zh'])
      .where('status', '=', 'active')
      .execute(),
  ]);
  const first = versions[0]?.version;
  const latest = versions.at(-1)?.version;
  if (first === undefined || latest === undefined)
    throw new Error('no policy version is published');

  const noticeMap = new Map<string, CatalogNotice>();
  for (const n of notices)
    noticeMap.set(noticeKey(n.policy_version, n.purpose_key, n.lang), {
      text: n.text,
      sha256: Buffer.from(n.sha256),
    });

  // The version in which each purpose's terms last changed: named in `changed_purposes`, or a
  // notice text that differs from the version before (in either language).
  const revisions = new Map<string, string>();
  const previous = new Map<string, string>();
  for (const v of versions) {
    const changed = new Set(JSON.parse(v.changed_purposes) as string[]);
    const here = notices.filter((n) => n.policy_version === v.version);
    for (const n of here) {
      const key = `${n.purpose_key}\u0000${n.lang}`;
      if (previous.get(key) !== n.text) changed.add(n.purpose_key);
      previous.set(key, n.text);
    }
    for (const p of changed) revisions.set(p, v.version);
  }

  const purposes = new Map<string, CatalogPurpose>(
    purposeRows.map((p) => [
      p.key,
      {
        key: p.key,
        legalBasis: p.legal_basis,
        separate: p.separate_consent === 1,
        names: { 'zh-CN': p.name_zh, en: p.name_en },
      },
    ]),
  );
  const categories = new Map<string, CatalogCategory>(
    categoryRows.map((c) => [
      c.key,
      {
        key: c.key,
        purpose: c.purpose_key,
        essential: c.essential === 1,
        separate: c.purpose_key !== null && purposes.get(c.purpose_key)?.separate === true,
        names: { 'zh-CN': c.name_zh, en: c.name_en },
      },
    ]),
  );
  const versionSet = new Set(versions.map((v) => v.version));
  // Essential categories (and a purpose without a published notice) show the category's name.
  const fixed = new Map<string, CatalogNotice>();
  const fixedNotice = (category: CatalogCategory, lang: Lang): CatalogNotice => {
    const key = `${category.key}\u0000${lang}`;
    let notice = fixed.get(key);
    if (notice === undefined) {
      const text = category.names[lang];
      notice = { text, sha256: sha256(text) };
      fixed.set(key, notice);
    }
    return notice;
  };
  const purposeNotice = (purpose: string, version: string, lang: Lang) =>
    noticeMap.get(noticeKey(version, purpose, lang)) ?? null;
  const noticeOf = (category: CatalogCategory, version: string, lang: Lang) => {
    if (!versionSet.has(version)) return null;
    if (category.essential || category.purpose === null) return fixedNotice(category, lang);
    return purposeNotice(category.purpose, version, lang) ?? fixedNotice(category, lang);
  };

  const configs = new Map<Lang, ConsentConfig>(
    LANGS.map((lang) => [
      lang,
      {
        policyVersion: latest,
        lang,
        validDays,
        categories: categoryRows.map((row) => {
          const c = categories.get(row.key)!;
          const notice = noticeOf(c, latest, lang)!;
          return {
            key: c.key,
            purpose: c.purpose,
            essential: c.essential,
            separate: c.separate,
            name: c.names[lang],
            notice: notice.text,
            noticeSha256: notice.sha256.toString('hex'),
            revision:
              c.essential || c.purpose === null ? first : (revisions.get(c.purpose) ?? first),
            services: JSON.parse(row.services) as Array<{ name: string; cookies: string[] }>,
            gcm: JSON.parse(row.gcm) as string[],
          };
        }),
      },
    ]),
  );

  return {
    latest,
    versions: versionSet,
    categories,
    purposes,
    noticeOf,
    purposeNotice,
    config: (lang) => configs.get(lang)!,
  };
}

interface CatalogCache {
  snapshot: Catalog | null;
  loadedAt: number;
  loading: Promise<Catalog> | null;
  /** Bumped by `invalidateCatalog`: a load begun before it is not kept. */
  generation: number;
}

// Keyed by the application context: one cache per running application (tests run several).
const caches = new WeakMap<AppContext, CatalogCache>();

function cacheOf(ctx: AppContext): CatalogCache {
  let cache = caches.get(ctx);
  if (cache === undefined) {
    cache = { snapshot: null, loadedAt: 0, loading: null, generation: 0 };
    caches.set(ctx, cache);
  }
  return cache;
}

function refresh(ctx: AppContext, cache: CatalogCache): Promise<Catalog> {
  if (cache.loading !== null) return cache.loading;
  const generation = cache.generation;
  const loading = loadCatalog(ctx.store.db, ctx.config.consentValidDays)
    .then((snapshot) => {
      if (cache.generation === generation) {
        cache.snapshot = snapshot;
        cache.loadedAt = performance.now();
      }
      return snapshot;
    })
    .finally(() => {
      if (cache.loading === loading) cache.loading = null;
    });
  cache.loading = loading;
  return loading;
}

/** The current catalog; loads it on first use or after an invalidation, else answers at once. */
export async function consentCatalog(ctx: AppContext): Promise<Catalog> {
  const cache = cacheOf(ctx);
  if (cache.snapshot === null) return refresh(ctx, cache);
  if (performance.now() - cache.loadedAt > CATALOG_TTL_MS)
    refresh(ctx, cache).catch((error: unknown) =>
      ctx.log.warn(
        { err: { type: error instanceof Error ? error.name : 'unknown' } },
        'consent catalog refresh failed; the previous one stays in use',
      ),
    );
  return cache.snapshot;
}

/** Drops the cached catalog after a change made by this process (policy publication). */
export function invalidateCatalog(ctx: AppContext): void {
  const cache = cacheOf(ctx);
  cache.generation++;
  cache.snapshot = null;
  cache.loading = null;
}
