// `/.well-known/gpc.json` (W3C Global Privacy Control, RFC 8615 well-known URI): Custos declares
// that the sites using its banner honour GPC. `lastUpdate` is the publication date of the policy
// version in force, because that policy is where the treatment of GPC is disclosed to people
// (the spec asks publishers to disclose it); a new version is a new statement.
import type { AppContext } from '../../context.js';

export interface GpcDocument {
  gpc: true;
  /** RFC 3339 full-date. */
  lastUpdate: string;
}

/** How long one answer is reused, so a public URL costs no query per request. */
const REUSE_MS = 60_000;

/** The document, read from the latest published policy version at most once a minute. */
export function gpcDocument(ctx: Pick<AppContext, 'store' | 'clock'>): () => Promise<GpcDocument> {
  let cached: { doc: GpcDocument; until: number } | null = null;
  return async () => {
    const now = ctx.clock.now().getTime();
    if (cached !== null && cached.until > now) return cached.doc;
    const row = await ctx.store.db
      .selectFrom('policy_versions')
      .select('published_at')
      .orderBy('published_at', 'desc')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const doc: GpcDocument = { gpc: true, lastUpdate: row.published_at.slice(0, 10) };
    cached = { doc, until: now + REUSE_MS };
    return doc;
  };
}
