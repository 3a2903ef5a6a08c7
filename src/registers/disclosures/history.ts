// Register entries are corrected, never overwritten: each version is kept as it was, so a
// regulator asking "what did the register say on that day" gets the answer (PIPL art. 56 keeps
// these records at least three years).
import type { Actor } from '../../audit/events.js';
import { newId } from '../../db/ids.js';
import type { Trx } from '../../db/store.js';
import type { RegisterHistoryTable } from '../tables.js';

/** Stores one version of a register entry (its presented form) in `register_history`. */
export async function recordVersion(
  trx: Trx,
  entityType: RegisterHistoryTable['entity_type'],
  entityId: string,
  version: number,
  snapshot: unknown,
  actor: Actor,
  at: string,
): Promise<void> {
  await trx
    .insertInto('register_history')
    .values({
      id: newId(),
      entity_type: entityType,
      entity_id: entityId,
      version,
      snapshot: JSON.stringify(snapshot),
      actor_type: actor.type,
      actor_id: actor.id,
      at,
    })
    .execute();
}

/** Every version of an entry, oldest first. */
export async function versionsOf(
  trx: Trx,
  entityType: RegisterHistoryTable['entity_type'],
  entityId: string,
) {
  const rows = await trx
    .selectFrom('register_history')
    .selectAll()
    .where('entity_type', '=', entityType)
    .where('entity_id', '=', entityId)
    .orderBy('version')
    .execute();
  return rows.map((r) => ({
    version: r.version,
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id },
    entry: JSON.parse(r.snapshot) as unknown,
  }));
}

/** The columns an update of `row` may set: everything but its identity and creation time. */
export function changesOf<T extends { id: string; created_at: string }>(
  row: T,
): Omit<T, 'id' | 'created_at'> {
  const copy: Partial<T> = { ...row };
  delete copy.id;
  delete copy.created_at;
  return copy as Omit<T, 'id' | 'created_at'>;
}
