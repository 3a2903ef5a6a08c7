// Delivering a register entry's data through Custos: the named subjects' records in the entry's
// categories are opened and handed over in clear as the delivery package, each person is linked
// to the entry (so the disclosure shows in their access report), and PI stored in mainland China
// passes the export guard first. This is the one path on which PI leaves in clear for a third
// party, so it needs both `pi.disclose` and `pi.reveal`, and a reason.
import { actorOf, demand, type Principal } from '../../access/principal.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { hasConsent } from '../../consent/ledger.js';
import { conflict, consentRule } from '../../errors.js';
import { openRecords } from '../../subjects/records.js';
import { guardedTransaction, guardExport } from '../transfers/guard.js';
import { loadRecipient, loadSubjectsOf, noPersonalText } from './lookups.js';
import { loadDisclosure } from './service.js';
import type { Deliver } from './schema.js';

export async function deliverDisclosure(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: Deliver,
) {
  demand(caller, 'pi.reveal');
  noPersonalText('/reason', input.reason);
  return guardedTransaction(ctx, async (trx) => {
    const entry = await loadDisclosure(trx, caller, id);
    const recipient = await loadRecipient(trx, '/recipientId', entry.recipient_id);
    if (recipient.status !== 'active')
      throw conflict('The recipient of this entry is retired; nothing can be delivered to it.');
    const subjects = await loadSubjectsOf(
      trx,
      '/subjectIds',
      entry.controller_id,
      input.subjectIds,
    );
    const erased = subjects.findIndex((s) => s.status !== 'active');
    if (erased >= 0) throw conflict(`The subject at /subjectIds/${erased} was erased.`);
    // Consent named by purpose: each person's own current decision, read in this transaction so a
    // withdrawal committed before it is seen (PIPL arts. 15, 23).
    if (entry.consent_purpose !== null) {
      const purpose = entry.consent_purpose;
      for (const [i, s] of subjects.entries())
        if (!(await hasConsent(ctx, trx, { subjectId: s.id }, purpose)))
          throw consentRule(
            'consent-required',
            `The subject at /subjectIds/${i} has no current grant of purpose "${purpose}" in the consent ledger; nothing was delivered.`,
          );
    }

    const categories = new Set(JSON.parse(entry.categories) as string[]);
    const opened = [];
    for (const s of subjects) {
      const records = (await openRecords(ctx, trx, s.id)).filter((r) =>
        categories.has(r.row.category),
      );
      opened.push({ subject: s, records });
    }
    const allRecords = opened.flatMap((o) => o.records.map((r) => r.row));
    const guard = await guardExport(trx, ctx, {
      recipient,
      records: allRecords,
      actor: actorOf(caller),
      controllerId: entry.controller_id,
    });

    const now = ctx.clock.now().toISOString();
    const links = opened
      .filter((o) => o.records.length > 0)
      .map((o) => ({
        id: newId(),
        disclosure_id: entry.id,
        subject_id: o.subject.id,
        controller_id: entry.controller_id,
        categories: JSON.stringify([...new Set(o.records.map((r) => r.row.category))].sort()),
        records: o.records.length,
        via: 'delivery' as const,
        delivered_at: now,
      }));
    for (let i = 0; i < links.length; i += 500)
      await trx
        .insertInto('disclosure_subjects')
        .values(links.slice(i, i + 500))
        .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'disclosure.deliver',
      target: { type: 'disclosure', id: entry.id },
      controllerId: entry.controller_id,
      outcome: 'success',
      details: {
        reason: input.reason,
        recipient: recipient.id,
        destination: recipient.country,
        subjects: subjects.length,
        persons: links.length,
        records: allRecords.length,
        categories: [...new Set(allRecords.map((r) => r.category))].sort(),
        crossBorder: guard.crossBorder,
        transfers: guard.transferIds,
      },
    });
    return {
      disclosureId: entry.id,
      deliveredAt: now,
      recipient: { id: recipient.id, name: recipient.name, country: recipient.country },
      crossBorder: guard.crossBorder,
      transferIds: guard.transferIds,
      persons: links.length,
      records: allRecords.length,
      warnings: guard.warnings,
      subjects: opened.map((o) => ({
        id: o.subject.id,
        records: o.records.map((r) => ({
          id: r.row.id,
          category: r.row.category,
          purpose: r.row.purpose,
          value: r.value,
          collectedAt: r.row.collected_at,
          region: r.row.region,
        })),
      })),
    };
  });
}
