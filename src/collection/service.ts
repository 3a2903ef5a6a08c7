// Inquiries for staff: the list (no personal values) and one inquiry with its values masked and
// the consent records it made. Reads of values are audited like any read of a subject's records.
import { actorOf, scopeControllers, type Principal } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { notFound } from '../errors.js';
import { openRecords } from '../subjects/records.js';
import { presentInquiry, presentInquiryDetail } from './present.js';
import type { InquiryList } from './schema.js';

export const inquirySource = (id: string) => `inquiry:${id}`;

/** Moves an inquiry to a new status (the guardian flow releases or deletes a held one). */
export async function setInquiryStatus(
  ctx: AppContext,
  trx: Trx,
  id: string,
  status: Row<'inquiries'>['status'],
): Promise<void> {
  await trx
    .updateTable('inquiries')
    .set({ status, updated_at: ctx.clock.now().toISOString() })
    .where('id', '=', id)
    .execute();
}

async function holdsOf(
  trx: Trx,
  inquiryIds: readonly string[],
): Promise<Map<string, Row<'guardian_holds'>>> {
  if (inquiryIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('guardian_holds')
    .selectAll()
    .where('inquiry_id', 'in', [...inquiryIds])
    .execute();
  return new Map(rows.map((h) => [h.inquiry_id ?? '', h]));
}

/** Inquiries in the caller's controllers, newest first, paged by id. */
export async function listInquiries(ctx: AppContext, caller: Principal, query: InquiryList) {
  const scope = scopeControllers(caller);
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  return transaction(ctx.store, async (trx) => {
    let q = trx
      .selectFrom('inquiries')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (scope !== null) q = q.where('controller_id', 'in', scope);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.purpose !== undefined) q = q.where('purpose_key', '=', query.purpose);
    if (query.after !== undefined) q = q.where('id', '<', query.after);
    const rows = await q.execute();
    const page = rows.slice(0, query.limit);
    const holds = await holdsOf(
      trx,
      page.map((r) => r.id),
    );
    return {
      items: page.map((r) => presentInquiry(r, holds.get(r.id) ?? null)),
      next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  });
}

/** One inquiry with its values masked; an inquiry outside the caller's scope is a 404. */
export async function getInquiry(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    let q = trx.selectFrom('inquiries').selectAll().where('id', '=', id);
    const scope = scopeControllers(caller);
    if (scope !== null) {
      if (scope.length === 0) throw notFound('inquiry');
      q = q.where('controller_id', 'in', scope);
    }
    const row = await q.executeTakeFirst();
    if (row === undefined) throw notFound('inquiry');
    const hold = (await holdsOf(trx, [id])).get(id) ?? null;
    const subject = await trx
      .selectFrom('subjects')
      .select('minor')
      .where('id', '=', row.subject_id)
      .executeTakeFirst();
    const recordIds = (
      await trx
        .selectFrom('pi_records')
        .select('id')
        .where('subject_id', '=', row.subject_id)
        .where('source', '=', inquirySource(id))
        .execute()
    ).map((r) => r.id);
    const records =
      recordIds.length === 0 ? [] : await openRecords(ctx, trx, row.subject_id, recordIds);
    const sources = [inquirySource(id), ...(hold === null ? [] : [`guardian:${hold.id}`])];
    const consents = await trx
      .selectFrom('consent_records')
      .selectAll()
      .where('source', 'in', sources)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'inquiry.read',
      target: { type: 'inquiry', id },
      controllerId: row.controller_id,
      outcome: 'success',
      details: { subject: row.subject_id, records: records.length },
    });
    return presentInquiryDetail(row, hold, records, consents, subject?.minor === 1);
  });
}
