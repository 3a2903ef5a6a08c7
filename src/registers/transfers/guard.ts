// The export guard: PI stored in mainland China leaves for a recipient abroad only under an
// approved, unexpired cross-border transfer that covers that recipient, that destination and
// each category, with a mechanism that still fits this year's volume after the export (PIPL
// arts. 38–40; CAC 2024 Provisions). Every path that sends PI out of Custos calls it inside its
// transaction; a refusal is audited in a transaction of its own, so it stays on record although
// the export rolls back.
import { sql } from 'kysely';
import type { Actor, AuditEvent } from '../../audit/events.js';
import type { AppContext } from '../../context.js';
import { transaction, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { AppError, transferRequired } from '../../errors.js';
import { inMainland } from '../../datamap/countries.js';
import {
  countPersons,
  mechanismShortfall,
  thresholdStates,
  transferYear,
  type ThresholdState,
  type Volume,
} from './volumes.js';

export interface ExportRecord {
  subject_id: string;
  category: string;
  /** Where the record is stored: `CN`, `CN-BJ`, `SG` … */
  region: string;
}

export interface GuardInput {
  recipient: Pick<Row<'recipients'>, 'id' | 'name' | 'country'>;
  records: readonly ExportRecord[];
  /** Who exports, for the refusal and warning events; the system when absent. */
  actor?: Actor;
  controllerId?: string | null;
}

export interface ExportWarning extends ThresholdState {
  year: number;
  /** True when this export is the one that crossed the warning share. */
  new: boolean;
}

export interface GuardResult {
  crossBorder: boolean;
  year: number;
  /** Transfers the export went under. */
  transferIds: string[];
  /** Persons counted for the first time this year by this export. */
  newPersons: Volume;
  warnings: ExportWarning[];
}

const SYSTEM: Actor = { type: 'system', id: null };
// Kept below every dialect's bound-parameter limit.
const CHUNK = 500;
const VOLUME_LOCK = 'custos:transfer-volume';

const refusals = new WeakMap<AppError, Promise<void>>();

/** Waits until the refusal behind `error` (if it is one) is on record. */
export async function refusalRecorded(error: unknown): Promise<void> {
  if (error instanceof AppError) await refusals.get(error);
}

/**
 * `transaction`, for work that calls `guardExport`: when the guard refuses, the caller gets the
 * 403 only after the refusal is audited.
 */
export async function guardedTransaction<T>(
  ctx: AppContext,
  fn: (trx: Trx) => Promise<T>,
): Promise<T> {
  try {
    return await transaction(ctx.store, fn);
  } catch (error) {
    await refusalRecorded(error);
    throw error;
  }
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function refuse(ctx: AppContext, detail: string, event: AuditEvent): AppError {
  const error = transferRequired(detail);
  // Started now, committed after the export's transaction ends (SQLite has one writer queue;
  // PostgreSQL uses another connection): never awaited inside the export's transaction.
  const written = transaction(ctx.store, async (t) => {
    await ctx.audit.record(t, event);
  }).catch((e: unknown) => {
    ctx.log.error(
      { err: { type: e instanceof Error ? e.name : 'unknown' } },
      'could not record a refused export',
    );
  });
  refusals.set(error, written);
  return error;
}

/** Is each category sensitive? Unknown categories count as sensitive: the stricter rule. */
async function sensitivity(trx: Trx, categories: readonly string[]): Promise<Map<string, boolean>> {
  const rows =
    categories.length === 0
      ? []
      : await trx
          .selectFrom('data_categories')
          .select(['key', 'sensitive'])
          .where('key', 'in', [...categories])
          .execute();
  const known = new Map(rows.map((r) => [r.key, Number(r.sensitive) === 1]));
  return new Map(categories.map((c) => [c, known.get(c) ?? true]));
}

/**
 * Allows or refuses an export of `records` to `recipient`. Throws transferRequired (403) naming
 * the recipient, destination and uncovered categories; when allowed, counts the persons and
 * raises each threshold warning once a year.
 */
export async function guardExport(
  trx: Trx,
  ctx: AppContext,
  input: GuardInput,
): Promise<GuardResult> {
  const now = ctx.clock.now();
  const year = transferYear(now);
  const { recipient } = input;
  const exported = input.records.filter((r) => inMainland(r.region));
  if (inMainland(recipient.country) || exported.length === 0)
    return {
      crossBorder: false,
      year,
      transferIds: [],
      newPersons: { nonSensitive: 0, sensitive: 0 },
      warnings: [],
    };

  // Volume checks read then write the yearly counts: one exporter at a time on PostgreSQL
  // (SQLite write transactions are serial already).
  if (ctx.store.dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(hashtext(${VOLUME_LOCK}))`.execute(trx);

  const categories = [...new Set(exported.map((r) => r.category))].sort();
  const sensitive = await sensitivity(trx, categories);
  const nowIso = now.toISOString();
  const transfers = await trx
    .selectFrom('transfers')
    .selectAll()
    .where('recipient_id', '=', recipient.id)
    .where('destination_country', '=', recipient.country)
    .where('status', '=', 'approved')
    .where('approved_at', '<=', nowIso)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]))
    .orderBy('approved_at')
    .orderBy('id')
    .execute();

  // The volume this export would bring the year to, handler-wide and distinct per person.
  const wanted = { nonSensitive: new Set<string>(), sensitive: new Set<string>() };
  for (const r of exported)
    (sensitive.get(r.category) ? wanted.sensitive : wanted.nonSensitive).add(r.subject_id);
  const counted = { nonSensitive: new Set<string>(), sensitive: new Set<string>() };
  const subjects = [...new Set(exported.map((r) => r.subject_id))];
  for (const part of chunks(subjects)) {
    const rows = await trx
      .selectFrom('transfer_persons')
      .select(['subject_id', 'sensitive'])
      .distinct()
      .where('year', '=', year)
      .where('subject_id', 'in', part)
      .execute();
    for (const r of rows)
      (Number(r.sensitive) === 1 ? counted.sensitive : counted.nonSensitive).add(r.subject_id);
  }
  const before = await countPersons(trx, year);
  const newPersons: Volume = {
    nonSensitive: [...wanted.nonSensitive].filter((s) => !counted.nonSensitive.has(s)).length,
    sensitive: [...wanted.sensitive].filter((s) => !counted.sensitive.has(s)).length,
  };
  const after: Volume = {
    nonSensitive: before.nonSensitive + newPersons.nonSensitive,
    sensitive: before.sensitive + newPersons.sensitive,
  };

  const chosen = new Map<string, Row<'transfers'>>();
  const uncovered: string[] = [];
  const unfit: string[] = [];
  for (const category of categories) {
    const covering = transfers.filter((t) =>
      (JSON.parse(t.categories) as string[]).includes(category),
    );
    if (covering.length === 0) {
      uncovered.push(category);
      continue;
    }
    let why: string | null = null;
    for (const t of covering) {
      why = mechanismShortfall(t.mechanism, t.exemption_ground, {
        ciio: ctx.config.ciio,
        sensitive: sensitive.get(category) ?? true,
        volume: after,
      });
      if (why === null) {
        chosen.set(category, t);
        break;
      }
    }
    if (why !== null) unfit.push(`${category} (${why})`);
  }

  if (uncovered.length > 0 || unfit.length > 0) {
    const parts: string[] = [];
    if (uncovered.length > 0)
      parts.push(
        `no approved, unexpired cross-border transfer to "${recipient.name}" in ${recipient.country} covers ${uncovered.join(', ')}`,
      );
    if (unfit.length > 0)
      parts.push(
        `the approved transfer to "${recipient.name}" in ${recipient.country} no longer fits for ${unfit.join('; ')}`,
      );
    const detail = `Export refused: ${parts.join('; ')}. Register and approve a transfer that covers them (PIPL arts. 38–40).`;
    throw refuse(ctx, detail, {
      actor: input.actor ?? SYSTEM,
      action: 'transfer.refused',
      target: { type: 'recipient', id: recipient.id },
      controllerId: input.controllerId ?? null,
      outcome: 'denied',
      details: {
        destination: recipient.country,
        uncovered,
        unfit: unfit.map((u) => u.slice(0, u.indexOf(' '))),
        persons: subjects.length,
        year,
      },
    });
  }

  const rows = new Map<string, Row<'transfer_persons'>>();
  for (const r of exported) {
    const t = chosen.get(r.category)!;
    const flag = sensitive.get(r.category) ? 1 : 0;
    rows.set(`${t.id}|${r.subject_id}|${flag}`, {
      transfer_id: t.id,
      year,
      subject_id: r.subject_id,
      sensitive: flag,
      first_at: nowIso,
    });
  }
  for (const part of chunks([...rows.values()]))
    await trx
      .insertInto('transfer_persons')
      .values(part)
      .onConflict((oc) => oc.doNothing())
      .execute();

  const volume = await countPersons(trx, year);
  const warnings: ExportWarning[] = [];
  for (const state of thresholdStates(volume, ctx.config.transferWarnPercent)) {
    if (!state.warning) continue;
    const inserted = await trx
      .insertInto('transfer_warnings')
      .values({ year, threshold: state.key, persons: state.persons, warned_at: nowIso })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    const fresh = Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
    if (fresh)
      await ctx.audit.record(trx, {
        actor: input.actor ?? SYSTEM,
        action: 'transfer.threshold_warning',
        target: { type: 'recipient', id: recipient.id },
        controllerId: input.controllerId ?? null,
        outcome: 'success',
        details: {
          year,
          threshold: state.key,
          limit: state.limit,
          persons: state.persons,
          warnPercent: ctx.config.transferWarnPercent,
        },
      });
    warnings.push({ ...state, year, new: fresh });
  }
  return {
    crossBorder: true,
    year,
    transferIds: [...new Set([...chosen.values()].map((t) => t.id))],
    newPersons,
    warnings,
  };
}
