// Access, copy and portability (PIPL art. 45): the person's records in a sealed package behind a
// short-lived link. Copy and access give everything held; portability gives what art. 45 ¶3 and
// the NDSMR conditions cover and says what it left out.
import { getController } from '../../controllers/service.js';
import { disclosuresOfSubject } from '../../registers/disclosures/service.js';
import type { FulfilOutcome, Job } from './fulfil.js';
import { storePackage } from './files.js';
import { distinct, heldRecords } from './gather.js';
import { buildPackage, isPortable, type RequestHistoryEntry } from './package.js';

/** The person's requests as they may see them: this one and every other matched to them. */
async function requestHistory(job: Job): Promise<RequestHistoryEntry[]> {
  const { trx, request, subject } = job;
  let q = trx
    .selectFrom('requests')
    .select([
      'id',
      'type',
      'channel',
      'status',
      'received_at',
      'verified_at',
      'due_at',
      'closed_at',
    ])
    .where('controller_id', '=', request.controller_id)
    .orderBy('received_at')
    .orderBy('id');
  q =
    subject === null
      ? q.where('id', '=', request.id)
      : q.where((eb) => eb.or([eb('subject_id', '=', subject.id), eb('id', '=', request.id)]));
  return (await q.execute()).map((r) => ({
    reference: r.id,
    type: r.type,
    channel: r.channel,
    status: r.status,
    receivedAt: r.received_at,
    verifiedAt: r.verified_at,
    dueAt: r.due_at,
    closedAt: r.closed_at,
  }));
}

export async function fulfilAccess(
  job: Job,
  type: 'access' | 'copy' | 'portability',
): Promise<FulfilOutcome> {
  const { ctx, trx, request, caller, subject, now } = job;
  if (subject === null) throw new Error('fulfilAccess needs a matched subject');
  const all = await heldRecords(ctx, trx, subject.id);
  const records = type === 'portability' ? all.filter(isPortable) : all;
  const controller = await getController(trx, caller, request.controller_id);
  const disclosures = await disclosuresOfSubject(trx, subject.id);
  const generatedAt = now.toISOString();
  // The link's expiry is fixed by storePackage; the readme states the same instant.
  const pending = {
    reference: request.id,
    requestType: type,
    generatedAt,
    controllerName: controller.name,
    contact: ctx.config.privacyContact ?? controller.contact_email ?? ctx.config.mailFrom,
    records,
    excluded: all.length - records.length,
    disclosures,
    requests: await requestHistory(job),
  };
  const zip = (expiresAt: string) => buildPackage({ ...pending, expiresAt });
  const link = await storePackage(ctx, trx, request, zip);
  const done: FulfilOutcome['done'] = [
    {
      kind: type === 'portability' ? 'portable_package_prepared' : 'package_prepared',
      count: records.length,
      detail: distinct(records.map((r) => r.category)).join(', '),
    },
    { kind: 'disclosures_listed', count: disclosures.length },
  ];
  if (type === 'portability' && all.length > records.length)
    done.push({ kind: 'left_out_of_portability', count: all.length - records.length });
  return {
    done,
    partial: false,
    download: { url: link.url, expiresAt: link.expiresAt },
  };
}
