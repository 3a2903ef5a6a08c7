// The impact-assessment register (PIPL arts. 55–56): assessments proposed automatically by the
// data map or opened by hand, worked on, completed with the three findings art. 56 ¶1 requires,
// and kept three years after completion (art. 56 ¶2) before they may be deleted.
import { actorOf, type Principal } from '../../access/principal.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { forUpdate, transaction, type Db, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, notFound, validation, type FieldProblem } from '../../errors.js';
import { openPolicyFlags, raiseHighRiskFlag } from './flags.js';
import { presentAssessment, presentPolicyFlag, type AssessmentEntry } from './present.js';
import type {
  AssessmentList,
  AssessmentPatch,
  CompleteAssessment,
  NewAssessment,
} from './schema.js';

/** How long a completed report is kept (PIPL art. 56 ¶2). */
export const RETENTION_YEARS = 3;

export function retainUntil(completedAt: Date): string {
  const d = new Date(completedAt.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + RETENTION_YEARS);
  return d.toISOString();
}

/** The columns an UPDATE may set: everything but the id and the creation time. */
function updatable(row: Row<'assessments'>): Omit<Row<'assessments'>, 'id' | 'created_at'> {
  const copy: Partial<Row<'assessments'>> = { ...row };
  delete copy.id;
  delete copy.created_at;
  return copy as Omit<Row<'assessments'>, 'id' | 'created_at'>;
}

async function scopeOf(db: Db | Trx, ids: readonly string[]) {
  if (ids.length === 0) return new Map<string, { purposeKeys: string[]; systemIds: string[] }>();
  const rows = await db
    .selectFrom('assessment_scope')
    .selectAll()
    .where('assessment_id', 'in', ids)
    .orderBy('entity_id')
    .execute();
  const out = new Map(
    ids.map((id) => [id, { purposeKeys: [] as string[], systemIds: [] as string[] }]),
  );
  for (const r of rows) {
    const s = out.get(r.assessment_id)!;
    (r.entity_type === 'purpose' ? s.purposeKeys : s.systemIds).push(r.entity_id);
  }
  return out;
}

async function withScope(
  db: Db | Trx,
  rows: Array<Row<'assessments'>>,
): Promise<AssessmentEntry[]> {
  const scopes = await scopeOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => ({ row, ...scopes.get(row.id)! }));
}

export async function loadAssessment(
  ctx: AppContext,
  db: Db | Trx,
  id: string,
  lock = false,
): Promise<AssessmentEntry> {
  const q = db.selectFrom('assessments').selectAll().where('id', '=', id);
  const row = await (lock ? forUpdate(ctx.store, q) : q).executeTakeFirst();
  if (row === undefined) throw notFound('assessment');
  return (await withScope(db, [row]))[0]!;
}

export async function getAssessment(ctx: AppContext, id: string) {
  return presentAssessment(await loadAssessment(ctx, ctx.store.db, id));
}

export async function listAssessments(ctx: AppContext, query: AssessmentList) {
  let q = ctx.store.db
    .selectFrom('assessments')
    .selectAll()
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  // Triggers are a JSON list of fixed words; the quoted word cannot match inside another one.
  if (query.trigger) q = q.where('triggers', 'like', `%"${query.trigger}"%`);
  if (query.after) q = q.where('id', '>', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: (await withScope(ctx.store.db, page)).map(presentAssessment),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/** Refuses scope entries that name no purpose or system, pointing at the first bad one. */
async function checkScope(
  trx: Trx,
  purposeKeys: readonly string[],
  systemIds: readonly string[],
): Promise<void> {
  const problems: FieldProblem[] = [];
  if (purposeKeys.length > 0) {
    const known = new Set(
      (
        await trx.selectFrom('purposes').select('key').where('key', 'in', purposeKeys).execute()
      ).map((r) => r.key),
    );
    purposeKeys.forEach((k, i) => {
      if (!known.has(k))
        problems.push({ pointer: `/body/purposeKeys/${i}`, detail: 'is not a known purpose' });
    });
  }
  if (systemIds.length > 0) {
    const known = new Set(
      (await trx.selectFrom('systems').select('id').where('id', 'in', systemIds).execute()).map(
        (r) => r.id,
      ),
    );
    systemIds.forEach((id, i) => {
      if (!known.has(id))
        problems.push({ pointer: `/body/systemIds/${i}`, detail: 'is not a known system' });
    });
  }
  if (problems.length > 0)
    throw validation(`${problems[0]!.pointer} ${problems[0]!.detail}`, problems);
}

async function replaceScope(
  trx: Trx,
  id: string,
  purposeKeys: readonly string[],
  systemIds: readonly string[],
): Promise<void> {
  await trx.deleteFrom('assessment_scope').where('assessment_id', '=', id).execute();
  const rows = [
    ...purposeKeys.map((k) => ({
      assessment_id: id,
      entity_type: 'purpose' as const,
      entity_id: k,
    })),
    ...systemIds.map((s) => ({ assessment_id: id, entity_type: 'system' as const, entity_id: s })),
  ];
  if (rows.length > 0) await trx.insertInto('assessment_scope').values(rows).execute();
}

export async function createAssessment(ctx: AppContext, caller: Principal, input: NewAssessment) {
  const purposeKeys = input.purposeKeys ?? [];
  const systemIds = input.systemIds ?? [];
  return transaction(ctx.store, async (trx) => {
    await checkScope(trx, purposeKeys, systemIds);
    const now = ctx.clock.now().toISOString();
    const row: Row<'assessments'> = {
      id: newId(),
      title: input.title,
      triggers: JSON.stringify(input.triggers),
      status: input.status ?? 'in_progress',
      origin: 'manual',
      origin_ref: null,
      lawfulness: input.lawfulness ?? null,
      impact: input.impact ?? null,
      measures: input.measures ?? null,
      risk_rating: input.riskRating ?? null,
      residual_risk: input.residualRisk ?? null,
      approved_by: null,
      completed_at: null,
      retain_until: null,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('assessments').values(row).execute();
    await replaceScope(trx, row.id, purposeKeys, systemIds);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'assessment.create',
      target: { type: 'assessment', id: row.id },
      outcome: 'success',
      details: { triggers: input.triggers, status: row.status },
    });
    return presentAssessment({ row, purposeKeys, systemIds });
  });
}

function refuseClosed(row: Row<'assessments'>): void {
  if (row.status === 'completed')
    throw conflict('This assessment is completed; its report is frozen. Open a new assessment.');
  if (row.status === 'superseded') throw conflict('This assessment is superseded.');
}

export async function updateAssessment(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: AssessmentPatch,
) {
  return transaction(ctx.store, async (trx) => {
    const current = await loadAssessment(ctx, trx, id, true);
    refuseClosed(current.row);
    const purposeKeys = patch.purposeKeys ?? current.purposeKeys;
    const systemIds = patch.systemIds ?? current.systemIds;
    await checkScope(trx, patch.purposeKeys ?? [], patch.systemIds ?? []);
    const now = ctx.clock.now();
    const status = patch.status ?? current.row.status;
    const row: Row<'assessments'> = {
      ...current.row,
      title: patch.title ?? current.row.title,
      triggers: patch.triggers ? JSON.stringify(patch.triggers) : current.row.triggers,
      status,
      lawfulness: patch.lawfulness === undefined ? current.row.lawfulness : patch.lawfulness,
      impact: patch.impact === undefined ? current.row.impact : patch.impact,
      measures: patch.measures === undefined ? current.row.measures : patch.measures,
      risk_rating: patch.riskRating === undefined ? current.row.risk_rating : patch.riskRating,
      residual_risk:
        patch.residualRisk === undefined ? current.row.residual_risk : patch.residualRisk,
      // A superseded assessment is still a handling record: kept as long as a completed one.
      retain_until: status === 'superseded' ? retainUntil(now) : null,
      updated_at: now.toISOString(),
    };
    const changes = updatable(row);
    await trx.updateTable('assessments').set(changes).where('id', '=', id).execute();
    if (patch.purposeKeys !== undefined || patch.systemIds !== undefined)
      await replaceScope(trx, id, purposeKeys, systemIds);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'assessment.update',
      target: { type: 'assessment', id },
      outcome: 'success',
      details: { fields: Object.keys(patch).sort(), status },
    });
    return presentAssessment({ row, purposeKeys, systemIds });
  });
}

/**
 * Completes an assessment: the report must answer all three questions of PIPL art. 56 ¶1 and
 * carry a risk rating. A high rating raises a policy flag (a possible material change).
 */
export async function completeAssessment(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: CompleteAssessment,
) {
  return transaction(ctx.store, async (trx) => {
    const current = await loadAssessment(ctx, trx, id, true);
    refuseClosed(current.row);
    const now = ctx.clock.now();
    const row: Row<'assessments'> = {
      ...current.row,
      lawfulness: input.lawfulness ?? current.row.lawfulness,
      impact: input.impact ?? current.row.impact,
      measures: input.measures ?? current.row.measures,
      risk_rating: input.riskRating ?? current.row.risk_rating,
      residual_risk: input.residualRisk ?? current.row.residual_risk,
      status: 'completed',
      approved_by: caller.userId,
      completed_at: now.toISOString(),
      retain_until: retainUntil(now),
      updated_at: now.toISOString(),
    };
    const missing: FieldProblem[] = (
      [
        ['lawfulness', row.lawfulness],
        ['impact', row.impact],
        ['measures', row.measures],
        ['riskRating', row.risk_rating],
      ] as const
    )
      .filter(([, v]) => v === null || v.trim() === '')
      .map(([name]) => ({
        pointer: `/body/${name}`,
        detail: 'is required to complete an assessment (PIPL art. 56)',
      }));
    if (missing.length > 0)
      throw validation(
        `The assessment cannot be completed without ${missing.map((m) => m.pointer.slice(6)).join(', ')}.`,
        missing,
      );
    const changes = updatable(row);
    await trx.updateTable('assessments').set(changes).where('id', '=', id).execute();
    const actor = actorOf(caller);
    await ctx.audit.record(trx, {
      actor,
      action: 'assessment.complete',
      target: { type: 'assessment', id },
      outcome: 'success',
      details: { riskRating: row.risk_rating, residualRisk: row.residual_risk },
    });
    const flagId = row.risk_rating === 'high' ? await raiseHighRiskFlag(ctx, trx, actor, id) : null;
    return {
      ...presentAssessment({ row, purposeKeys: current.purposeKeys, systemIds: current.systemIds }),
      policyFlagId: flagId,
    };
  });
}

/** Deletes a closed assessment once its retention has run out; before that, 409 naming the date. */
export async function deleteAssessment(
  ctx: AppContext,
  caller: Principal,
  id: string,
): Promise<void> {
  await transaction(ctx.store, async (trx) => {
    const { row } = await loadAssessment(ctx, trx, id, true);
    if (row.retain_until === null)
      throw conflict(
        'An open assessment cannot be deleted; complete it, or mark it superseded and wait out its retention.',
      );
    const now = ctx.clock.now().toISOString();
    if (now < row.retain_until)
      throw conflict(
        `This assessment must be kept until ${row.retain_until} (PIPL art. 56: three years).`,
      );
    await trx.deleteFrom('assessment_scope').where('assessment_id', '=', id).execute();
    await trx.deleteFrom('assessments').where('id', '=', id).execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'assessment.delete',
      target: { type: 'assessment', id },
      outcome: 'success',
      details: { retainUntil: row.retain_until },
    });
  });
}

export async function listPolicyFlags(ctx: AppContext) {
  return { items: (await openPolicyFlags(ctx.store.db)).map(presentPolicyFlag) };
}

/** Assessments (not superseded) covering any of the given purposes or systems, for the RoPA. */
export async function assessmentsCovering(
  db: Db | Trx,
  purposeKeys: readonly string[],
  systemIds: readonly string[],
): Promise<Array<{ id: string; status: string; purposeKeys: string[]; systemIds: string[] }>> {
  if (purposeKeys.length === 0 && systemIds.length === 0) return [];
  const rows = await db
    .selectFrom('assessments as a')
    .innerJoin('assessment_scope as s', 's.assessment_id', 'a.id')
    .select(['a.id', 'a.status', 's.entity_type', 's.entity_id'])
    .where('a.status', '!=', 'superseded')
    .where((eb) =>
      eb.or([
        ...(purposeKeys.length > 0
          ? [eb.and([eb('s.entity_type', '=', 'purpose'), eb('s.entity_id', 'in', purposeKeys)])]
          : []),
        ...(systemIds.length > 0
          ? [eb.and([eb('s.entity_type', '=', 'system'), eb('s.entity_id', 'in', systemIds)])]
          : []),
      ]),
    )
    .orderBy('a.id')
    .execute();
  const out = new Map<
    string,
    { id: string; status: string; purposeKeys: string[]; systemIds: string[] }
  >();
  for (const r of rows) {
    const e = out.get(r.id) ?? { id: r.id, status: r.status, purposeKeys: [], systemIds: [] };
    (r.entity_type === 'purpose' ? e.purposeKeys : e.systemIds).push(r.entity_id);
    out.set(r.id, e);
  }
  return [...out.values()];
}
