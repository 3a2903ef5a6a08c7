// Correction and completion (PIPL art. 46): new values replace old ones under the person's own key,
// their blind indexes follow, and each change leaves a history row saying which record was
// corrected, when, by whom and on which request; the old and new values are kept nowhere.
import { actorOf } from '../../access/principal.js';
import { encryptField } from '../../crypto/fields.js';
import { newId } from '../../db/ids.js';
import { conflict, invalidField } from '../../errors.js';
import { checkRecords } from '../../subjects/records.js';
import type { FulfilOutcome, Job } from './fulfil.js';
import { distinct, recipientsOf } from './gather.js';

const MAX_CORRECTIONS = 100;
const ID = /^[0-9a-fA-F-]{36}$/;

export async function fulfilCorrection(
  job: Job,
  corrections: ReadonlyArray<{ recordId: string; value: string }> | undefined,
): Promise<FulfilOutcome> {
  const { ctx, trx, request, caller, subject, now } = job;
  if (subject === null) throw conflict('No data is held for this person.');
  if (corrections === undefined || corrections.length === 0)
    throw invalidField('/corrections', 'must list at least one record and its corrected value');
  if (corrections.length > MAX_CORRECTIONS)
    throw invalidField('/corrections', `must list at most ${MAX_CORRECTIONS} records`);
  const seen = new Set<string>();
  corrections.forEach((c, i) => {
    if (typeof c.recordId !== 'string' || !ID.test(c.recordId))
      throw invalidField(`/corrections/${i}/recordId`, 'is not a record id');
    if (seen.has(c.recordId)) throw invalidField(`/corrections/${i}/recordId`, 'is listed twice');
    seen.add(c.recordId);
    if (typeof c.value !== 'string' || c.value.length > 8192)
      throw invalidField(`/corrections/${i}/value`, 'must be text of at most 8192 characters');
  });
  const rows = await trx
    .selectFrom('pi_records')
    .selectAll()
    .where('subject_id', '=', subject.id)
    .where(
      'id',
      'in',
      corrections.map((c) => c.recordId),
    )
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const targets = corrections.map((c, i) => {
    const row = byId.get(c.recordId);
    // Another person's record is reported exactly like a missing one.
    if (row === undefined)
      throw invalidField(`/corrections/${i}/recordId`, 'is not a record of this person');
    return row;
  });
  // Validated and normalised as when the value was first collected (subjects/records.ts).
  const checked = checkRecords(
    targets.map((row, i) => ({
      category: row.category,
      purpose: row.purpose,
      source: row.source,
      value: corrections[i]!.value,
    })),
    now,
    '/corrections',
  );
  const dek = await ctx.keyring.dataKey(trx, 'subject', subject.id);
  if (dek === null) throw conflict('No data is held for this person.');
  const at = now.toISOString();
  const actor = actorOf(caller);
  for (const [i, row] of targets.entries()) {
    const value = checked[i]!;
    await trx
      .updateTable('pi_records')
      .set({
        value_enc: encryptField(dek, value.stored, {
          table: 'pi_records',
          column: 'value_enc',
          rowId: row.id,
        }),
        updated_at: at,
      })
      .where('id', '=', row.id)
      .execute();
    // The old digest would still find the person by the value they asked us to correct.
    await trx.deleteFrom('subject_identifiers').where('record_id', '=', row.id).execute();
    if (value.identifier !== null)
      await trx
        .insertInto('subject_identifiers')
        .values({
          kind: value.identifier.kind,
          digest: ctx.keyring.blindIndex(value.identifier.kind, value.identifier.normalised),
          subject_id: subject.id,
          record_id: row.id,
          controller_id: row.controller_id,
        })
        .execute();
    await trx
      .insertInto('record_corrections')
      .values({
        id: newId(),
        record_id: row.id,
        subject_id: subject.id,
        request_id: request.id,
        category: row.category,
        corrected_at: at,
        actor_type: actor.type,
        actor_id: actor.id,
      })
      .execute();
  }
  await trx.updateTable('subjects').set({ updated_at: at }).where('id', '=', subject.id).execute();
  const recipients = await recipientsOf(trx, subject.id);
  const done: FulfilOutcome['done'] = [
    {
      kind: 'corrected_records',
      count: targets.length,
      detail: distinct(targets.map((r) => r.category)).join(', '),
    },
  ];
  // GB/T 35273 §8.2: those who received the old value are to be told of the correction.
  if (recipients.length > 0) done.push({ kind: 'recipients_to_inform', count: recipients.length });
  return { done, partial: false, download: null, recipients };
}
