// Every data-map change writes the entry's full new version into `datamap_history` and an audit
// event, in the caller's transaction: the map's past states stay answerable ("what did we declare
// for this purpose in March?"), which records of processing need (PIPL art. 56 ¶2: ≥ 3 years).
import { actorOf, type Principal } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import type { Db, Trx } from '../db/store.js';
import { notFound } from '../errors.js';
import type { EntityType, HistoryQuery } from './schema.js';

export type Change = 'create' | 'update' | 'retire';

export interface ChangeRecord {
  entityType: EntityType;
  entityId: string;
  version: number;
  change: Change;
  snapshot: unknown;
  /** Names of the API fields that changed (never their values: they may be free text). */
  fields: string[];
}

/** Writes one history version and its audit event; a failed audit write aborts the change. */
export async function recordChange(
  ctx: AppContext,
  trx: Trx,
  caller: Principal,
  change: ChangeRecord,
): Promise<void> {
  const actor = actorOf(caller);
  await trx
    .insertInto('datamap_history')
    .values({
      id: newId(),
      entity_type: change.entityType,
      entity_id: change.entityId,
      version: change.version,
      change: change.change,
      snapshot: JSON.stringify(change.snapshot),
      actor_type: actor.type,
      actor_id: actor.id,
      at: ctx.clock.now().toISOString(),
    })
    .execute();
  await ctx.audit.record(trx, {
    actor,
    action: `datamap.${change.change}`,
    target: { type: `datamap.${change.entityType}`, id: change.entityId },
    outcome: 'success',
    details: {
      entityType: change.entityType,
      entityId: change.entityId,
      version: change.version,
      fields: change.fields,
    },
  });
}

/** Every version of one entry, oldest first; 404 when the entry never existed. */
export async function listHistory(db: Db | Trx, query: HistoryQuery) {
  const rows = await db
    .selectFrom('datamap_history')
    .selectAll()
    .where('entity_type', '=', query.entityType)
    .where('entity_id', '=', query.entityId)
    .orderBy('version')
    .execute();
  if (rows.length === 0) throw notFound('data-map entry');
  return {
    entityType: query.entityType,
    entityId: query.entityId,
    items: rows.map((r) => ({
      version: r.version,
      change: r.change,
      snapshot: JSON.parse(r.snapshot) as unknown,
      actor: { type: r.actor_type, id: r.actor_id },
      at: r.at,
    })),
  };
}
