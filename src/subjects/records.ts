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
import { expiryOf } from '../retention/expiry.js';

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

/**
 * Validates the shape of every record before anything is written, naming the first bad field.
 * Built-in categories (categories.ts) also check and normalise their values; any other taxonomy
 * category is kept as trimmed text. Whether the purpose and category are declared in the data map
 * is checked by `bindPurposes`, inside the writing transaction.
 */
export function checkRecords(
  records: readonly NewRecord[],
  now: Date,
  pointer = '/records',
): CheckedRecord[] {
  return records.map((r, i) => {
    const category = categoryOf(r.category);
    let stored = r.value.trim();
    if (stored === '') throw invalidField(`${pointer}/${i}/value`, 'is empty');
    let identifier: CheckedRecord['identifier'] = null;
    if (category?.normalise) {
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

/** Retention period (days) of each purpose the records use, once they are known to be declared. */
export type PurposeRetention = ReadonlyMap<string, number>;

/**
 * Purpose limitation (PIPL art. 6, GB/T 35273 §5.1): each record's purpose must be an active purpose
 * of the data map, and its category an active category declared for that purpose. Messages name the
 * field only, never the value sent. Returns each purpose's retention period for `expires_at`.
 */
export async function bindPurposes(
  db: Db | Trx,
  records: readonly NewRecord[],
  pointer = '/records',
): Promise<PurposeRetention> {
  const keys = [...new Set(records.map((r) => r.purpose))];
  const purposes = await db
    .selectFrom('purposes')
    .select(['key', 'retention_days'])
    .where('key', 'in', keys)
    .where('status', '=', 'active')
    .execute();
  const declared = await db
    .selectFrom('purpose_categories')
    .innerJoin('data_categories', 'data_categories.key', 'purpose_categories.category_key')
    .select(['purpose_categories.purpose_key', 'purpose_categories.category_key'])
    .where('purpose_categories.purpose_key', 'in', keys)
    .where('data_categories.status', '=', 'active')
    .execute();
  const retention = new Map(purposes.map((p) => [p.key, p.retention_days]));
  const pairs = new Set(declared.map((d) => `${d.purpose_key}\u0000${d.category_key}`));
  records.forEach((r, i) => {
    if (!retention.has(r.purpose))
      throw invalidField(`${pointer}/${i}/purpose`, 'is not an active purpose in the data map');
    if (!pairs.has(`${r.purpose}\u0000${r.category}`))
      throw invalidField(
        `${pointer}/${i}/category`,
        'is not declared for this record’s purpose in the data map',
      );
  });
  return retention;
}

/** Inserts checked records for a subject whose data key is `dek`, with their blind indexes. */
export async function insertRecords(
  ctx: AppContext,
  trx: Trx,
  subject: Pick<Row<'subjects'>, 'id' | 'controller_id'>,
  dek: Buffer,
  records: readonly CheckedRecord[],
  defaultRegion: string,
  retention: PurposeRetention,
): Promise<Row<'pi_records'>[]> {
  const now = ctx.clock.now().toISOString();
  const rows: Row<'pi_records'>[] = records.map((r) => {
    const id = newId();
    const collectedAt = r.collectedAt ? new Date(r.collectedAt).toISOString() : now;
    const days = retention.get(r.purpose);
    if (days === undefined) throw new Error('insertRecords needs the purposes bound first');
    return {
      id,
      subject_id: subject.id,
      controller_id: subject.controller_id,
      category: r.category,
      purpose: r.purpose,
      value_enc: encryptField(dek, r.stored, valueBinding(id)),
      source: r.source,
      collected_at: collectedAt,
      region: r.region ?? defaultRegion,
      created_at: now,
      updated_at: now,
      expires_at: expiryOf(collectedAt, days),
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
