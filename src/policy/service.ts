// Policy versions: each publication fixes the exact notice text of every purpose in both
// languages. A ledger record names the version and the SHA-256 of the notice the person saw
// (PIPL arts. 14, 17: consent is informed by a specific notice; a changed notice asks again,
// art. 14 ¶2), so published notices are never edited: a change is a new version.
import type { Principal } from '../access/principal.js';
import { actorOf } from '../access/principal.js';
import { looksPersonal } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { invalidateCatalog } from '../consent/catalog.js';
import { sha256 } from '../consent/ledger.js';
import { newId } from '../db/ids.js';
import { transaction, type Db, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict, invalidField, notFound, validation, type FieldProblem } from '../errors.js';
import type { PublishPolicy } from './schema.js';

/** The version in force: the one published last. Every database holds at least the seeded one. */
export async function latestPolicyVersion(db: Db | Trx): Promise<string> {
  const row = await db
    .selectFrom('policy_versions')
    .select('version')
    .orderBy('published_at', 'desc')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) throw new Error('no policy version is published');
  return row.version;
}

const presentPolicy = (row: Row<'policy_versions'>) => ({
  version: row.version,
  publishedAt: row.published_at,
  summaryEn: row.summary_en,
  summaryZh: row.summary_zh,
  changedPurposes: JSON.parse(row.changed_purposes) as string[],
});

/** Every published version, newest first (a handful: no paging). */
export async function listPolicies(ctx: AppContext) {
  const rows = await ctx.store.db
    .selectFrom('policy_versions')
    .selectAll()
    .orderBy('published_at', 'desc')
    .orderBy('version', 'desc')
    .execute();
  return { items: rows.map(presentPolicy) };
}

/** One version with the exact text and hash of each of its notices. */
export async function getPolicy(ctx: AppContext, version: string) {
  const db = ctx.store.db;
  const row = await db
    .selectFrom('policy_versions')
    .selectAll()
    .where('version', '=', version)
    .executeTakeFirst();
  if (row === undefined) throw notFound('policy version');
  const notices = await db
    .selectFrom('consent_notices')
    .select(['purpose_key', 'lang', 'text', 'sha256'])
    .where('policy_version', '=', version)
    .orderBy('purpose_key')
    .orderBy('lang')
    .execute();
  return {
    ...presentPolicy(row),
    notices: notices.map((n) => ({
      purpose: n.purpose_key,
      lang: n.lang,
      text: n.text,
      sha256: Buffer.from(n.sha256).toString('hex'),
    })),
  };
}

/**
 * Publishes a new version: the notices given replace those of the latest version for their
 * purpose and language, every other notice carries over unchanged, and `changed_purposes` names
 * the purposes whose text differs, so the banner asks again for those only.
 */
export async function publishPolicy(ctx: AppContext, caller: Principal, input: PublishPolicy) {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  input.notices.forEach((n, i) => {
    const key = `${n.purpose}\u0000${n.lang}`;
    if (seen.has(key))
      problems.push({
        pointer: `/body/notices/${i}`,
        detail: 'repeats a purpose and language given before',
      });
    seen.add(key);
  });
  // The version is written into every audit event of the ledger, which refuses what looks like
  // a phone or ID number; such a label is refused here rather than breaking consent later.
  if (looksPersonal(input.version))
    problems.unshift({
      pointer: '/body/version',
      detail: 'must not look like a phone or ID number',
    });
  if (problems.length > 0)
    throw validation(`${problems[0]!.pointer} ${problems[0]!.detail}`, problems);

  const result = await transaction(ctx.store, async (trx) => {
    const purposes = new Set(
      (await trx.selectFrom('purposes').select('key').where('status', '=', 'active').execute()).map(
        (p) => p.key,
      ),
    );
    input.notices.forEach((n, i) => {
      if (!purposes.has(n.purpose))
        throw invalidField(`/notices/${i}/purpose`, 'is not an active purpose in the data map');
    });
    const exists = await trx
      .selectFrom('policy_versions')
      .select('version')
      .where('version', '=', input.version)
      .executeTakeFirst();
    if (exists !== undefined) throw conflict(`Policy version "${input.version}" exists already.`);

    const previous = await latestPolicyVersion(trx);
    const carried = await trx
      .selectFrom('consent_notices')
      .select(['purpose_key', 'lang', 'text'])
      .where('policy_version', '=', previous)
      .execute();
    const texts = new Map(carried.map((n) => [`${n.purpose_key}\u0000${n.lang}`, n.text]));
    const changed = new Set<string>();
    for (const n of input.notices) {
      const key = `${n.purpose}\u0000${n.lang}`;
      if (texts.get(key) !== n.text) changed.add(n.purpose);
      texts.set(key, n.text);
    }
    const now = ctx.clock.now();
    // Strictly after the previous publication, so "latest" stays unambiguous even within a ms.
    const prevAt = await trx
      .selectFrom('policy_versions')
      .select('published_at')
      .where('version', '=', previous)
      .executeTakeFirstOrThrow();
    const at = new Date(Math.max(now.getTime(), Date.parse(prevAt.published_at) + 1));
    const row: Row<'policy_versions'> = {
      version: input.version,
      published_at: at.toISOString(),
      summary_en: input.summaryEn,
      summary_zh: input.summaryZh,
      changed_purposes: JSON.stringify([...changed].sort()),
      created_at: now.toISOString(),
    };
    await trx.insertInto('policy_versions').values(row).execute();
    const notices = [...texts].map(([key, text]) => {
      const [purpose, lang] = key.split('\u0000') as [string, 'zh-CN' | 'en'];
      return {
        id: newId(now.getTime()),
        purpose_key: purpose,
        lang,
        policy_version: input.version,
        text,
        sha256: sha256(text),
        created_at: now.toISOString(),
      };
    });
    if (notices.length > 0) await trx.insertInto('consent_notices').values(notices).execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'policy.publish',
      target: { type: 'policy_version', id: input.version },
      outcome: 'success',
      details: { previous, changed: [...changed].sort(), notices: notices.length },
    });
    return row;
  });
  invalidateCatalog(ctx);
  return getPolicy(ctx, result.version);
}
