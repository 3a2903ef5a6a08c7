// Checks of register input against the data map and the subjects a caller may see. Each failure
// names the field it came from; none reveals whether something outside the caller's scope exists.
import { looksPersonal } from '../../audit/events.js';
import {
  activeCategories,
  activePurposeKeys,
  refuse,
  unknownItems,
} from '../../datamap/entries.js';
import type { Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { invalidField } from '../../errors.js';

/** Parses a date-time the schema accepted (leap seconds pass the format, not Date) to ISO UTC. */
export function isoTime(pointer: string, value: string): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw invalidField(pointer, 'is not a valid date-time');
  return new Date(ms).toISOString();
}

/**
 * Register free text names organisations, instruments and scopes, never people: data subjects
 * are referenced by id. Refuses text that carries an e-mail address, phone or ID number.
 */
export function noPersonalText(pointer: string, value: string | null | undefined): void {
  if (typeof value === 'string' && looksPersonal(value))
    throw invalidField(
      pointer,
      'must not contain personal information such as e-mail addresses, phone or ID numbers; refer to data subjects by id',
    );
}

/** Every key must be an active data-map category. */
export async function checkCategories(
  trx: Trx,
  pointer: string,
  keys: readonly string[],
): Promise<void> {
  const known = await activeCategories(trx, keys);
  refuse(unknownItems(pointer, keys, known, 'is not an active data-map category').slice(0, 1));
}

/** Every key must be an active data-map purpose. */
export async function checkPurposes(
  trx: Trx,
  pointer: string,
  keys: readonly string[],
): Promise<void> {
  const known = await activePurposeKeys(trx, keys);
  refuse(unknownItems(pointer, keys, known, 'is not an active data-map purpose').slice(0, 1));
}

/** Every id must be a data-map system. */
export async function checkSystems(
  trx: Trx,
  pointer: string,
  ids: readonly string[],
): Promise<void> {
  const rows =
    ids.length === 0
      ? []
      : await trx
          .selectFrom('systems')
          .select('id')
          .where('id', 'in', [...ids])
          .execute();
  const known = new Set(rows.map((r) => r.id));
  refuse(unknownItems(pointer, ids, known, 'is not a data-map system').slice(0, 1));
}

/** A data-map recipient, or a 400 naming the field. */
export async function loadRecipient(
  trx: Trx,
  pointer: string,
  id: string,
): Promise<Row<'recipients'>> {
  const row = await trx
    .selectFrom('recipients')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) throw invalidField(pointer, 'is not a data-map recipient');
  return row;
}

/**
 * Subjects of `controllerId` (already checked to be in the caller's scope), in the order given.
 * An absent subject and one of another controller get the same answer.
 */
export async function loadSubjectsOf(
  trx: Trx,
  pointer: string,
  controllerId: string,
  ids: readonly string[],
): Promise<Row<'subjects'>[]> {
  const found = new Map<string, Row<'subjects'>>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await trx
      .selectFrom('subjects')
      .selectAll()
      .where('controller_id', '=', controllerId)
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) found.set(r.id, r);
  }
  return ids.map((id, i) => {
    const row = found.get(id);
    if (row === undefined)
      throw invalidField(`${pointer}/${i}`, "is not a data subject of this entry's controller");
    return row;
  });
}
