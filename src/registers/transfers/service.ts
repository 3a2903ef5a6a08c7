// The cross-border transfer register: to whom PI stored in mainland China may go abroad, for
// which categories and purposes, under which mechanism (PIPL art. 38: security assessment,
// standard contract, certification, or an exemption of the CAC's 2024 Provisions). Drafts are
// edited freely; approval (a separate permission) makes a transfer usable by the export guard
// until it expires or is revoked. The register is the handler's, not one controller's: volumes
// are counted handler-wide, as the Provisions count them.
import { sql } from 'kysely';
import { actorOf, type Principal } from '../../access/principal.js';
import type { AppContext } from '../../context.js';
import { newId } from '../../db/ids.js';
import { forUpdate, transaction, type Db, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, invalidField, notFound } from '../../errors.js';
import { changesOf, recordVersion, versionsOf } from '../disclosures/history.js';
import {
  checkCategories,
  checkPurposes,
  isoTime,
  loadRecipient,
  noPersonalText,
} from '../disclosures/lookups.js';
import { isCountryCode, MAINLAND } from '../../datamap/countries.js';
import { presentTransfer } from './present.js';
import type {
  Approve,
  NewTransfer,
  Revoke,
  TransferList,
  TransferPatch,
  VolumesQuery,
} from './schema.js';
import {
  countPersons,
  mechanismShortfall,
  requiredMechanisms,
  thresholdStates,
  transferYear,
} from './volumes.js';

const FUTURE_SKEW_MS = 5 * 60_000;

async function loadTransfer(
  ctx: AppContext,
  db: Db | Trx,
  id: string,
  lock = false,
): Promise<Row<'transfers'>> {
  let q = db.selectFrom('transfers').selectAll().where('id', '=', id);
  if (lock) q = forUpdate(ctx.store, q);
  const row = await q.executeTakeFirst();
  if (row === undefined) throw notFound('transfer');
  return row;
}

type Fields = Pick<
  Row<'transfers'>,
  | 'recipient_id'
  | 'destination_country'
  | 'mechanism'
  | 'mechanism_ref'
  | 'exemption_ground'
  | 'categories'
  | 'purposes'
  | 'expected_yearly_persons'
  | 'expires_at'
>;

/** Checks a transfer as it would be stored; pointers name the request field. */
async function checkTransfer(ctx: AppContext, trx: Trx, f: Fields): Promise<Row<'recipients'>> {
  if (!isCountryCode(f.destination_country))
    throw invalidField('/destinationCountry', 'is not an ISO 3166-1 alpha-2 country code');
  if (f.destination_country === MAINLAND)
    throw invalidField(
      '/destinationCountry',
      'is mainland China: only transfers out of the mainland belong in this register',
    );
  if (f.mechanism === 'exemption') {
    if (f.exemption_ground === null)
      throw invalidField(
        '/exemptionGround',
        'is required for an exemption: contract_necessity, hr_management, emergency, small_volume or collected_abroad',
      );
  } else {
    if (f.exemption_ground !== null)
      throw invalidField('/exemptionGround', 'applies only when the mechanism is exemption');
    if ((f.mechanism_ref ?? '').trim() === '')
      throw invalidField(
        '/mechanismRef',
        `is required for ${f.mechanism.replace(/_/g, ' ')}: the assessment approval, contract filing or certificate number`,
      );
  }
  noPersonalText('/mechanismRef', f.mechanism_ref);

  const recipient = await loadRecipient(trx, '/recipientId', f.recipient_id);
  if (recipient.country !== f.destination_country)
    throw invalidField(
      '/destinationCountry',
      `must be the recipient's country (${recipient.country}), where it processes the data`,
    );
  const categories = JSON.parse(f.categories) as string[];
  await checkCategories(trx, '/categories', categories);
  await checkPurposes(trx, '/purposes', JSON.parse(f.purposes) as string[]);

  const flags = await trx
    .selectFrom('data_categories')
    .select(['key', 'sensitive'])
    .where('key', 'in', categories)
    .execute();
  const sensitive = new Set(flags.filter((r) => Number(r.sensitive) === 1).map((r) => r.key));
  // The mechanism must fit what is planned: every category, at the expected yearly volume.
  const expected = f.expected_yearly_persons;
  for (const [i, category] of categories.entries()) {
    const isSensitive = sensitive.has(category);
    const base = mechanismShortfall(f.mechanism, f.exemption_ground, {
      ciio: ctx.config.ciio,
      sensitive: isSensitive,
      volume: { nonSensitive: 0, sensitive: 0 },
    });
    if (base !== null)
      throw invalidField(
        isSensitive && f.exemption_ground === 'small_volume' ? `/categories/${i}` : '/mechanism',
        `does not fit: ${base}`,
      );
    const atVolume = mechanismShortfall(f.mechanism, f.exemption_ground, {
      ciio: ctx.config.ciio,
      sensitive: isSensitive,
      volume: { nonSensitive: expected, sensitive: isSensitive ? expected : 0 },
    });
    if (atVolume !== null)
      throw invalidField('/expectedYearlyPersons', `is too many for this mechanism: ${atVolume}`);
  }
  return recipient;
}

function snapshot(ctx: AppContext, row: Row<'transfers'>) {
  return presentTransfer(row, ctx.clock.now());
}

export async function createTransfer(ctx: AppContext, caller: Principal, input: NewTransfer) {
  const fields: Fields = {
    recipient_id: input.recipientId,
    destination_country: input.destinationCountry,
    mechanism: input.mechanism,
    mechanism_ref: input.mechanismRef ?? null,
    exemption_ground: input.exemptionGround ?? null,
    categories: JSON.stringify(input.categories),
    purposes: JSON.stringify(input.purposes),
    expected_yearly_persons: input.expectedYearlyPersons,
    expires_at:
      input.expiresAt === undefined || input.expiresAt === null
        ? null
        : isoTime('/expiresAt', input.expiresAt),
  };
  return transaction(ctx.store, async (trx) => {
    const recipient = await checkTransfer(ctx, trx, fields);
    const now = ctx.clock.now().toISOString();
    const row: Row<'transfers'> = {
      id: newId(),
      ...fields,
      approved_at: null,
      status: 'draft',
      revoked_at: null,
      revoke_reason: null,
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('transfers').values(row).execute();
    await recordVersion(trx, 'transfer', row.id, 1, snapshot(ctx, row), actorOf(caller), now);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'transfer.create',
      target: { type: 'transfer', id: row.id },
      outcome: 'success',
      details: {
        recipient: row.recipient_id,
        destination: row.destination_country,
        mechanism: row.mechanism,
        exemptionGround: row.exemption_ground,
        categories: input.categories,
      },
    });
    return presentTransfer(row, ctx.clock.now(), recipient);
  });
}

async function saveVersion(
  ctx: AppContext,
  trx: Trx,
  caller: Principal,
  next: Row<'transfers'>,
): Promise<void> {
  const id = next.id;
  await trx.updateTable('transfers').set(changesOf(next)).where('id', '=', id).execute();
  await recordVersion(
    trx,
    'transfer',
    id,
    next.version,
    snapshot(ctx, next),
    actorOf(caller),
    next.updated_at,
  );
}

/** Drafts only: an approved transfer is changed by revoking it and registering a new one. */
export async function updateTransfer(
  ctx: AppContext,
  caller: Principal,
  id: string,
  patch: TransferPatch,
) {
  const expiresAt =
    patch.expiresAt === undefined || patch.expiresAt === null
      ? patch.expiresAt
      : isoTime('/expiresAt', patch.expiresAt);
  return transaction(ctx.store, async (trx) => {
    const row = await loadTransfer(ctx, trx, id, true);
    if (row.status !== 'draft')
      throw conflict(
        'Only a draft transfer can be edited; revoke this one and register a new transfer.',
      );
    const fields: Fields = {
      recipient_id: patch.recipientId ?? row.recipient_id,
      destination_country: patch.destinationCountry ?? row.destination_country,
      mechanism: patch.mechanism ?? row.mechanism,
      mechanism_ref: patch.mechanismRef === undefined ? row.mechanism_ref : patch.mechanismRef,
      exemption_ground:
        patch.exemptionGround === undefined ? row.exemption_ground : patch.exemptionGround,
      categories: patch.categories ? JSON.stringify(patch.categories) : row.categories,
      purposes: patch.purposes ? JSON.stringify(patch.purposes) : row.purposes,
      expected_yearly_persons: patch.expectedYearlyPersons ?? row.expected_yearly_persons,
      expires_at: expiresAt === undefined ? row.expires_at : expiresAt,
    };
    const recipient = await checkTransfer(ctx, trx, fields);
    const next: Row<'transfers'> = {
      ...row,
      ...fields,
      version: row.version + 1,
      updated_at: ctx.clock.now().toISOString(),
    };
    await saveVersion(ctx, trx, caller, next);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'transfer.update',
      target: { type: 'transfer', id },
      outcome: 'success',
      details: { version: next.version, fields: Object.keys(patch).sort() },
    });
    return presentTransfer(next, ctx.clock.now(), recipient);
  });
}

export async function approveTransfer(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: Approve,
) {
  const now = ctx.clock.now();
  const approvedAt = isoTime('/approvedAt', input.approvedAt);
  if (Date.parse(approvedAt) > now.getTime() + FUTURE_SKEW_MS)
    throw invalidField('/approvedAt', 'is in the future');
  return transaction(ctx.store, async (trx) => {
    const row = await loadTransfer(ctx, trx, id, true);
    if (row.status !== 'draft')
      throw conflict(`This transfer is ${row.status}; only a draft can be approved.`);
    const expiresAt =
      input.expiresAt === undefined
        ? row.expires_at
        : input.expiresAt === null
          ? null
          : isoTime('/expiresAt', input.expiresAt);
    if (expiresAt !== null && Date.parse(expiresAt) <= Date.parse(approvedAt))
      throw invalidField('/expiresAt', 'must be after approvedAt');
    // Checked again: the recipient, the data map or the CIIO setting may have changed.
    const recipient = await checkTransfer(ctx, trx, { ...row, expires_at: expiresAt });
    const next: Row<'transfers'> = {
      ...row,
      status: 'approved',
      approved_at: approvedAt,
      expires_at: expiresAt,
      version: row.version + 1,
      updated_at: now.toISOString(),
    };
    await saveVersion(ctx, trx, caller, next);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'transfer.approve',
      target: { type: 'transfer', id },
      outcome: 'success',
      details: {
        mechanism: row.mechanism,
        destination: row.destination_country,
        approvedAt,
        expiresAt,
      },
    });
    return presentTransfer(next, now, recipient);
  });
}

export async function revokeTransfer(
  ctx: AppContext,
  caller: Principal,
  id: string,
  input: Revoke,
) {
  noPersonalText('/reason', input.reason);
  return transaction(ctx.store, async (trx) => {
    const row = await loadTransfer(ctx, trx, id, true);
    if (row.status === 'revoked') throw conflict('This transfer was already revoked.');
    const now = ctx.clock.now().toISOString();
    const next: Row<'transfers'> = {
      ...row,
      status: 'revoked',
      revoked_at: now,
      revoke_reason: input.reason,
      version: row.version + 1,
      updated_at: now,
    };
    await saveVersion(ctx, trx, caller, next);
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'transfer.revoke',
      target: { type: 'transfer', id },
      outcome: 'success',
      details: { reason: input.reason, was: row.status },
    });
    return presentTransfer(next, ctx.clock.now());
  });
}

/** One transfer with the persons counted under it this calendar year, and its versions. */
export async function getTransfer(ctx: AppContext, id: string) {
  return transaction(ctx.store, async (trx) => {
    const row = await loadTransfer(ctx, trx, id);
    const now = ctx.clock.now();
    const year = transferYear(now);
    const recipient = await trx
      .selectFrom('recipients')
      .selectAll()
      .where('id', '=', row.recipient_id)
      .executeTakeFirstOrThrow();
    return {
      ...presentTransfer(row, now, recipient),
      persons: { year, ...(await countPersons(trx, year, id)) },
      versions: await versionsOf(trx, 'transfer', id),
    };
  });
}

export async function listTransfers(ctx: AppContext, query: TransferList) {
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  let q = ctx.store.db
    .selectFrom('transfers')
    .selectAll()
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.recipientId !== undefined) q = q.where('recipient_id', '=', query.recipientId);
  if (query.destinationCountry !== undefined)
    q = q.where('destination_country', '=', query.destinationCountry);
  if (query.status === 'expired')
    q = q.where('status', '=', 'approved').where('expires_at', '<=', nowIso);
  else if (query.status === 'approved')
    q = q
      .where('status', '=', 'approved')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]));
  else if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.after !== undefined) q = q.where('id', '>', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => presentTransfer(r, now)),
    next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/**
 * Handler-wide persons sent abroad in a calendar year, each regulatory threshold with the
 * mechanism it requires, and warnings once the configured share of one is reached.
 */
export async function transferVolumes(ctx: AppContext, query: VolumesQuery) {
  const year = query.year ?? transferYear(ctx.clock.now());
  const persons = await countPersons(ctx.store.db, year);
  const thresholds = thresholdStates(persons, ctx.config.transferWarnPercent);
  const raised = await ctx.store.db
    .selectFrom('transfer_warnings')
    .select(['threshold', 'warned_at'])
    .where('year', '=', year)
    .execute();
  const transfersUsed = await ctx.store.db
    .selectFrom('transfer_persons')
    .select(sql<number>`count(distinct transfer_id)`.as('n'))
    .where('year', '=', year)
    .executeTakeFirst();
  return {
    year,
    ciio: ctx.config.ciio,
    warnPercent: ctx.config.transferWarnPercent,
    persons,
    transfersUsed: Number(transfersUsed?.n ?? 0),
    requiredMechanisms: requiredMechanisms(persons, ctx.config.ciio),
    thresholds,
    warnings: thresholds
      .filter((t) => t.warning)
      .map((t) => ({
        ...t,
        raisedAt: raised.find((r) => r.threshold === t.key)?.warned_at ?? null,
      })),
  };
}
