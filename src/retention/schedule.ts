// The retention schedule as a privacy officer reads it: per purpose, how long records are kept,
// what happens at the end, and how many records are held, overdue or about to expire. Counts only,
// restricted to the caller's controllers.
import { sql, type ExpressionBuilder } from 'kysely';
import { scopeControllers, type Principal } from '../access/principal.js';
import type { AppContext } from '../context.js';
import type { Database } from '../db/types.js';
import { countActiveHolds } from './holds.js';
import type { HoldScope } from './tables.js';

const DAY_MS = 86_400_000;
/** "Expiring soon" looks this far ahead. */
export const SOON_DAYS = 30;

type Counted = { purpose: string; n: number | string | bigint };

export async function retentionSchedule(ctx: AppContext, caller: Principal) {
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const soonIso = new Date(now.getTime() + SOON_DAYS * DAY_MS).toISOString();
  const scope = scopeControllers(caller);
  const db = ctx.store.db;

  const purposes = await db
    .selectFrom('purposes')
    .select([
      'key',
      'name_en',
      'name_zh',
      'retention_days',
      'retention_end',
      'retention_basis',
      'status',
    ])
    .orderBy('key')
    .execute();

  const count = async (
    filter: (eb: ExpressionBuilder<Database, 'pi_records'>) => ReturnType<typeof eb.and>,
  ): Promise<Map<string, number>> => {
    if (scope !== null && scope.length === 0) return new Map();
    let q = db
      .selectFrom('pi_records')
      .select(['purpose', sql<number>`count(*)`.as('n')])
      .where(filter)
      .groupBy('purpose');
    if (scope !== null) q = q.where('controller_id', 'in', scope);
    const rows: Counted[] = await q.execute();
    return new Map(rows.map((r) => [r.purpose, Number(r.n)]));
  };
  const activeTargets = (eb: ExpressionBuilder<Database, 'pi_records'>, kind: HoldScope) =>
    eb
      .selectFrom('legal_holds')
      .select('legal_holds.target_id')
      .where('legal_holds.scope', '=', kind)
      .where('legal_holds.status', '=', 'active')
      .where('legal_holds.ends_at', '>', nowIso);

  const [total, expiringSoon, overdue, unscheduled, held] = await Promise.all([
    count((eb) => eb.and([])),
    count((eb) => eb.and([eb('expires_at', '>', nowIso), eb('expires_at', '<=', soonIso)])),
    count((eb) => eb.and([eb('expires_at', '<=', nowIso)])),
    count((eb) => eb.and([eb('expires_at', 'is', null)])),
    count((eb) =>
      eb.and([
        eb.or([
          eb('pi_records.subject_id', 'in', activeTargets(eb, 'subject')),
          eb('pi_records.category', 'in', activeTargets(eb, 'category')),
          eb('pi_records.controller_id', 'in', activeTargets(eb, 'controller')),
        ]),
      ]),
    ),
  ]);

  return {
    asOf: nowIso,
    soonDays: SOON_DAYS,
    activeHolds: await countActiveHolds(ctx, caller, now),
    purposes: purposes.map((p) => ({
      purpose: p.key,
      name: { en: p.name_en, 'zh-CN': p.name_zh },
      status: p.status,
      retentionDays: p.retention_days,
      endAction: p.retention_end,
      retentionBasis: p.retention_basis,
      records: total.get(p.key) ?? 0,
      held: held.get(p.key) ?? 0,
      expiringSoon: expiringSoon.get(p.key) ?? 0,
      overdue: overdue.get(p.key) ?? 0,
      unscheduled: unscheduled.get(p.key) ?? 0,
    })),
  };
}
