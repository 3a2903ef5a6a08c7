// Automatic proposals: a data-map change that brings processing under PIPL art. 55 (sensitive PI,
// automated decisions, entrusting, providing, processing abroad) proposes an impact assessment
// in the same transaction, so the duty to assess "in advance" is on the register the moment the
// processing is declared, not when someone remembers it.
import type { Actor } from '../../audit/events.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import type { Trx } from '../../db/store.js';
import { parseTriggers } from './present.js';
import type { ScopeEntityType, Trigger } from './tables.js';

/** One reason to assess, found in a data-map change. */
export interface TriggerHit {
  trigger: Trigger;
  /** The purpose or system the assessment must cover. */
  scope: { type: ScopeEntityType; id: string; label: string };
  /** The data-map entry version whose change revealed it. */
  origin: { entityType: string; entityId: string; version: number };
}

const TRIGGER_TITLES: Record<Trigger, string> = {
  sensitive_pi: 'sensitive personal information',
  automated_decision: 'automated decision-making',
  entrusting: 'entrusted processing',
  providing: 'providing to other handlers',
  disclosing: 'public disclosure',
  cross_border: 'processing outside mainland China',
  other_high_impact: 'other high-impact processing',
};

/** Triggers an open (proposed or in-progress) assessment already covers for one entry. */
async function openTriggers(trx: Trx, type: ScopeEntityType, id: string): Promise<Set<Trigger>> {
  const rows = await trx
    .selectFrom('assessments as a')
    .innerJoin('assessment_scope as s', 's.assessment_id', 'a.id')
    .select('a.triggers')
    .where('s.entity_type', '=', type)
    .where('s.entity_id', '=', id)
    .where('a.status', 'in', ['proposed', 'in_progress'])
    .execute();
  return new Set(rows.flatMap((r) => parseTriggers(r.triggers)));
}

/**
 * Proposes one assessment per covered entry for the triggers no open assessment covers yet, and
 * audits each proposal. Returns the ids of the new assessments (empty when all were covered).
 */
export async function proposeAssessments(
  ctx: AppContext,
  trx: Trx,
  actor: Actor,
  hits: readonly TriggerHit[],
): Promise<string[]> {
  const byEntity = new Map<string, TriggerHit[]>();
  for (const hit of hits) {
    const k = `${hit.scope.type}:${hit.scope.id}`;
    byEntity.set(k, [...(byEntity.get(k) ?? []), hit]);
  }
  const ids: string[] = [];
  const now = ctx.clock.now().toISOString();
  for (const group of byEntity.values()) {
    const { scope, origin } = group[0]!;
    const covered = await openTriggers(trx, scope.type, scope.id);
    const triggers = [...new Set(group.map((h) => h.trigger))].filter((t) => !covered.has(t));
    if (triggers.length === 0) continue;
    const id = newId();
    const what = triggers.map((t) => TRIGGER_TITLES[t]).join(', ');
    await trx
      .insertInto('assessments')
      .values({
        id,
        title: `Impact assessment for ${scope.type} "${scope.label}": ${what}`.slice(0, 300),
        triggers: JSON.stringify(triggers),
        status: 'proposed',
        origin: 'automatic',
        origin_ref: JSON.stringify(origin),
        lawfulness: null,
        impact: null,
        measures: null,
        risk_rating: null,
        residual_risk: null,
        approved_by: null,
        completed_at: null,
        retain_until: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await trx
      .insertInto('assessment_scope')
      .values({ assessment_id: id, entity_type: scope.type, entity_id: scope.id })
      .execute();
    await ctx.audit.record(trx, {
      actor,
      action: 'assessment.propose',
      target: { type: 'assessment', id },
      outcome: 'success',
      details: {
        triggers,
        entityType: scope.type,
        entityId: scope.id,
        originType: origin.entityType,
        originId: origin.entityId,
        originVersion: origin.version,
      },
    });
    ids.push(id);
  }
  return ids;
}
