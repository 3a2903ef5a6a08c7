// Writing and opening a subject's encrypted PI records. Every value is sealed under the subject's
// own data key and bound to its row; identifiers also get blind-index digests for lookup.
import type { AppContext } from '../context.js';
import { decryptField, encryptField } from '../crypto/fields.js';
import type { Db, Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { invalidField } from '../errors.js';
import { categoryOf } from './categories.js';
import type { OpenRecord } from './present.js';
import type { NewRecord } from './schema.js';
import { newId } from '../db/ids.js';

const valueBinding = (recordId: string) => ({
  table: 'pi_records',
  column: 'value_enc',
  rowId: recordId,
});
// Clocks drift; a collection time a few minutes ahead is tolerated, not one from tomorrow.
const FUTURE_SKEW_MS = 5 * 60_000;

export interface CheckedRecord extends NewRecord {
  /** The value in the form stored: canonical for identifiers, trimmed otherwise. */
  stored: string;
  identifier: { kind: string; normalised: string } | null;
}

/** Validates every record before anything is written, naming the first bad field. */
export function checkRecords(
  records: readonly NewRecord[],
  now: Date,
  pointer = '/records',
): CheckedRecord[] {
  return records.map((r, i) => {
    const category = categoryOf(r.category);
    if (category === undefined)
      throw invalidField(`${pointer}/${i}/category`, 'is not a known category');
    let stored = r.value.trim();
    if (stored === '') throw invalidField(`${pointer}/${i}/value`, 'is empty');
    let identifier: CheckedRecord['identifier'] = null;
    if (category.normalise) {
      const normalised = category.normalise(stored);
      if (normalised === null)
        throw invalidField(
          `${pointer}/${i}/value`,
          `is not a valid ${r.category.replace(/_/g, ' ')}`,
        );
      stored = normalised;
      if (category.identifier) identifier = { kind: category.identifier, normalised };
    }
    if (r.collectedAt !== undefined) {
      // The date-time format admits leap seconds (":60") that JavaScript dates cannot represent.
      const at = Date.parse(r.collectedAt);
      if (!Number.isFinite(at))
        throw invalidField(`${pointer}/${i}/collectedAt`, 'is not a valid date-time');
      if (at > now.getTime() + FUTURE_SKEW_MS)
        throw invalidField(`${pointer}/${i}/collectedAt`, 'is in the future');
    }
    return { ...r, stored, identifier };
  });
}

/** Inserts checked records for a subject whose data key is `dek`, with their blind indexes. */
export async function insertRecords(
  ctx: AppContext,
  trx: Trx,
  subject: Pick<Row<'subjects'>, 'id' | 'controller_id'>,
  dek: Buffer,
  records: readonly CheckedRecord[],
  defaultRegion: string,
): Promise<Row<'pi_records'>[]> {
  const now = ctx.clock.now().toISOString();
  const rows: Row<'pi_records'>[] = records.map((r) => {
    const id = newId();
    return {
      id,
      subject_id: subject.id,
      controller_id: subject.controller_id,
      category: r.category,
      purpose: r.purpose,
      value_enc: encryptField(dek, r.stored, valueBinding(id)),
      source: r.source,
      collected_at: r.collectedAt ? new Date(r.collectedAt).toISOString() : now,
      region: r.region ?? defaultRegion,
      created_at: now,
      updated_at: now,
      expires_at: null,
    };
  });
  await trx.insertInto('pi_records').values(rows).execute();
  const digests = records.flatMap((r, i) =>
    r.identifier
      ? [
          {
            kind: r.identifier.kind,
            digest: ctx.keyring.blindIndex(r.identifier.kind, r.identifier.normalised),
            subject_id: subject.id,
            record_id: rows[i]!.id,
            controller_id: subject.controller_id,
          },
        ]
      : [],
  );
  if (digests.length > 0) await trx.insertInto('subject_identifiers').values(digests).execute();
  return rows;
}

/** Decrypts a subject's records (optionally only some). An erased subject has none to open. */
export async function openRecords(
  ctx: AppContext,
  db: Db | Trx,
  subjectId: string,
  recordIds?: readonly string[],
): Promise<OpenRecord[]> {
  let q = db.selectFrom('pi_records').selectAll().where('subject_id', '=', subjectId).orderBy('id');
  if (recordIds !== undefined) q = q.where('id', 'in', [...recordIds]);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const dek = await ctx.keyring.dataKey(db, 'subject', subjectId);
  if (dek === null) return [];
  return rows
    .filter((row) => row.value_enc !== null)
    .map((row) => ({ row, value: decryptField(dek, row.value_enc!, valueBinding(row.id)) }));
}
