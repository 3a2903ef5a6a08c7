// Explanation of processing rules (PIPL art. 48) and restriction of processing (arts. 44, 47 ¶2).
// The explanation is the record of processing narrowed to the person: the purposes their records
// serve, each with its legal basis, categories, retention, storage regions and recipients.
import { invalidField } from '../../errors.js';
import type { FulfilOutcome, Job, OutcomePurpose } from './fulfil.js';
import { distinct } from './gather.js';
import { restrictTo } from './restrictions.js';

export async function fulfilExplain(job: Job): Promise<FulfilOutcome> {
  const { trx, subject } = job;
  if (subject === null) throw new Error('fulfilExplain needs a matched subject');
  // Only the data map and the record metadata are read: no value needs decrypting to explain.
  const records = await trx
    .selectFrom('pi_records')
    .select(['purpose', 'category', 'region'])
    .where('subject_id', '=', subject.id)
    .execute();
  const purposeKeys = distinct(records.map((r) => r.purpose));
  const categoryKeys = distinct(records.map((r) => r.category));
  if (purposeKeys.length === 0)
    return { done: [{ kind: 'no_data_held', count: 0 }], partial: false, download: null };
  const purposes = await trx
    .selectFrom('purposes')
    .selectAll()
    .where('key', 'in', purposeKeys)
    .orderBy('key')
    .execute();
  const categories = new Map(
    (
      await trx
        .selectFrom('data_categories')
        .select(['key', 'name_zh', 'name_en'])
        .where('key', 'in', categoryKeys)
        .execute()
    ).map((c) => [c.key, c]),
  );
  // Recipients of the systems that serve each purpose, and those the person's data actually went to.
  const viaSystems = await trx
    .selectFrom('system_purposes')
    .innerJoin('systems', 'systems.id', 'system_purposes.system_id')
    .innerJoin('system_recipients', 'system_recipients.system_id', 'systems.id')
    .innerJoin('recipients', 'recipients.id', 'system_recipients.recipient_id')
    .select([
      'system_purposes.purpose_key as purpose',
      'recipients.id',
      'recipients.name',
      'recipients.kind',
      'recipients.country',
    ])
    .where('system_purposes.purpose_key', 'in', purposeKeys)
    .where('systems.status', '=', 'active')
    .where('recipients.status', '=', 'active')
    .execute();
  const disclosed = await trx
    .selectFrom('disclosure_subjects')
    .innerJoin('disclosures', 'disclosures.id', 'disclosure_subjects.disclosure_id')
    .innerJoin('recipients', 'recipients.id', 'disclosures.recipient_id')
    .select([
      'disclosures.purpose',
      'recipients.id',
      'recipients.name',
      'recipients.kind',
      'recipients.country',
    ])
    .where('disclosure_subjects.subject_id', '=', subject.id)
    .execute();
  const processing: OutcomePurpose[] = purposes.map((p) => {
    const mine = records.filter((r) => r.purpose === p.key);
    const recipients = new Map<string, { name: string; kind: string; country: string }>();
    for (const r of [...viaSystems, ...disclosed].filter((x) => x.purpose === p.key))
      recipients.set(r.id, { name: r.name, kind: r.kind, country: r.country });
    return {
      key: p.key,
      name: { zh: p.name_zh, en: p.name_en },
      legalBasis: p.legal_basis,
      legalBasisRef: p.legal_basis_ref,
      categories: distinct(mine.map((r) => r.category)).map((key) => ({
        key,
        zh: categories.get(key)?.name_zh ?? key,
        en: categories.get(key)?.name_en ?? key,
      })),
      retentionDays: p.retention_days,
      retentionBasis: p.retention_basis,
      storageRegions: distinct(mine.map((r) => r.region)),
      recipients: [...recipients.values()].sort((a, b) => a.name.localeCompare(b.name)),
    };
  });
  const recipientCount = new Set(
    [...viaSystems, ...disclosed].filter((r) => purposeKeys.includes(r.purpose)).map((r) => r.id),
  ).size;
  return {
    done: [
      { kind: 'purposes_explained', count: processing.length, detail: purposeKeys.join(', ') },
      { kind: 'categories_explained', count: categoryKeys.length },
      { kind: 'recipients_listed', count: recipientCount },
    ],
    partial: false,
    download: null,
    processing,
  };
}

export async function fulfilRestrict(
  job: Job,
  purposes: readonly string[] | undefined,
): Promise<FulfilOutcome> {
  const { trx } = job;
  if (purposes !== undefined) {
    if (purposes.length === 0 || purposes.length > 50)
      throw invalidField('/purposes', 'must list between 1 and 50 purposes (omit it for all)');
    const known = new Set(
      (
        await trx
          .selectFrom('purposes')
          .select('key')
          .where('key', 'in', [...purposes])
          .execute()
      ).map((p) => p.key),
    );
    purposes.forEach((p, i) => {
      if (!known.has(p)) throw invalidField(`/purposes/${i}`, 'is not a purpose in the data map');
    });
  }
  await restrictTo(job, purposes ?? 'all', 'restriction_request');
  return {
    done: [
      {
        kind: 'processing_restricted',
        detail: purposes === undefined ? 'all' : distinct(purposes).join(', '),
      },
      // PIPL art. 47 ¶2: storage and the necessary security protection continue.
      { kind: 'storage_continues' },
    ],
    partial: false,
    download: null,
  };
}
