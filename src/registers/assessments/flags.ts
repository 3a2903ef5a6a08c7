// Policy flags: findings that the privacy policy may need a material-change review. A completed
// assessment rating the processing high-risk raises one; the policy module reads the open flags.
import type { Actor } from '../../audit/events.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import type { Db, Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';

/** Flags not yet resolved, oldest first. */
export function openPolicyFlags(db: Db | Trx): Promise<Array<Row<'policy_flags'>>> {
  return db
    .selectFrom('policy_flags')
    .selectAll()
    .where('resolved_at', 'is', null)
    .orderBy('raised_at')
    .orderBy('id')
    .execute();
}

/** Raises the high-risk flag for a completed assessment, audited in the same transaction. */
export async function raiseHighRiskFlag(
  ctx: AppContext,
  trx: Trx,
  actor: Actor,
  assessmentId: string,
): Promise<string> {
  const id = newId();
  await trx
    .insertInto('policy_flags')
    .values({
      id,
      source_type: 'assessment',
      source_id: assessmentId,
      reason: 'high_risk_assessment',
      raised_at: ctx.clock.now().toISOString(),
      resolved_at: null,
    })
    .execute();
  await ctx.audit.record(trx, {
    actor,
    action: 'policy.flag_raise',
    target: { type: 'policy_flag', id },
    outcome: 'success',
    details: { sourceType: 'assessment', sourceId: assessmentId, reason: 'high_risk_assessment' },
  });
  return id;
}
