// The notice a person was shown for a purpose: the exact text of the policy version in force, so a
// ledger record can name its SHA-256 (PIPL art. 17: inform before collecting; art. 14: consent on
// full information). A policy version lists only the purposes whose notice changed, so the notice
// of a purpose under a version is the latest one published at or before it.
import type { Db, Trx } from '../db/store.js';
import type { Lang } from './fields.js';

export interface Notice {
  purpose: string;
  lang: Lang;
  /** The version the text was published in (at or before the version asked for). */
  policyVersion: string;
  text: string;
  sha256: Buffer;
}

/** The newest policy version published by `now`, or null when none is. */
export async function currentPolicyVersion(db: Db | Trx, now: Date): Promise<string | null> {
  const row = await db
    .selectFrom('policy_versions')
    .select('version')
    .where('published_at', '<=', now.toISOString())
    .orderBy('published_at', 'desc')
    .orderBy('version', 'desc')
    .executeTakeFirst();
  return row?.version ?? null;
}

/** The notices of `purposes` in force under `policyVersion`, by purpose (absent: none). */
export async function noticesFor(
  db: Db | Trx,
  purposes: readonly string[],
  lang: Lang,
  policyVersion: string,
): Promise<Map<string, Notice>> {
  const out = new Map<string, Notice>();
  if (purposes.length === 0) return out;
  const version = await db
    .selectFrom('policy_versions')
    .select('published_at')
    .where('version', '=', policyVersion)
    .executeTakeFirst();
  if (version === undefined) return out;
  const rows = await db
    .selectFrom('consent_notices')
    .innerJoin('policy_versions', 'policy_versions.version', 'consent_notices.policy_version')
    .select([
      'consent_notices.purpose_key',
      'consent_notices.policy_version',
      'consent_notices.text',
      'consent_notices.sha256',
      'policy_versions.published_at',
    ])
    .where('consent_notices.purpose_key', 'in', [...purposes])
    .where('consent_notices.lang', '=', lang)
    .where('policy_versions.published_at', '<=', version.published_at)
    .orderBy('policy_versions.published_at', 'asc')
    .orderBy('consent_notices.policy_version', 'asc')
    .execute();
  // Ascending, so the last one seen per purpose is the one in force.
  for (const r of rows)
    out.set(r.purpose_key, {
      purpose: r.purpose_key,
      lang,
      policyVersion: r.policy_version,
      text: r.text,
      sha256: Buffer.from(r.sha256),
    });
  return out;
}
