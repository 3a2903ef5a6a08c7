// The consent ledger: append-only records of grant, deny, withdraw and acknowledge, per person (or
// pseudonymous banner visitor) and purpose. Nothing updates or deletes a record (erasure of a
// subject removes the link, see the requests module); the current state of a purpose is the latest
// record for it. Every record is chained into the audit trail in the same transaction, so a record
// cannot be slipped in, altered or removed without the ledger check (verify.ts) noticing:
//   - a decision a person or staff member makes gets its own `consent.record` event, carrying the
//     actor and any reason;
//   - the banner's group-committed flushes (hundreds of anonymous visitors' choices per second) get
//     one `consent.batch` event each, whose RFC 9162 Merkle root is taken over the flush's records
//     (leaves in id order), as Certificate Transparency logs entries under one tree head. The
//     audit trail then grows by one event per flush rather than one per record, and each record
//     still has an inclusion proof from its leaf to an event of the audit log.
// Each record keeps the sequence number of the event covering it (audit_seq).
import { createHash } from 'node:crypto';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { bulkInsert } from '../db/bulk-insert.js';
import type { Db, Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import type { Actor } from '../audit/events.js';
import { hashLeaf, rootFromLeafHashes } from '../audit/merkle.js';
import { ipPrefix } from '../http/rate-limit.js';
import {
  stateOf,
  type ConsentDecision,
  type ConsentMethod,
  type ConsentState,
} from './contracts.js';

/** Every column of a ledger record, in the order the batch insert writes them. */
const RECORD_COLUMNS = [
  'id',
  'subject_id',
  'visitor_digest',
  'controller_id',
  'purpose_key',
  'decision',
  'policy_version',
  'notice_sha256',
  'method',
  'source',
  'lang',
  'ip_prefix',
  'ua_hash',
  'gpc',
  'dnt',
  'created_at',
  'audit_seq',
] as const satisfies ReadonlyArray<keyof Row<'consent_records'>>;
type Unlisted = Exclude<keyof Row<'consent_records'>, (typeof RECORD_COLUMNS)[number]>;
/** Compiles only while RECORD_COLUMNS names every column of the table. */
export const RECORD_COLUMNS_COMPLETE: [Unlisted] extends [never] ? true : never = true;

/** Whose consent: a known person, or a banner visitor known only by a random id. */
export type ConsentParty = { subjectId: string } | { visitorId: string };

/** Where a decision came from: the client network and browser, reduced so they identify no one. */
export interface ConsentClient {
  ip?: string | undefined;
  userAgent?: string | undefined;
  gpc?: boolean | undefined;
  dnt?: boolean | undefined;
}

export interface NewConsent {
  party: ConsentParty;
  controllerId: string;
  purpose: string;
  decision: ConsentDecision;
  policyVersion: string;
  /** SHA-256 of the exact notice text shown; null for a signal that showed nothing (GPC, DNT). */
  noticeSha256: Buffer | null;
  method: ConsentMethod;
  source?: string | undefined;
  lang: 'zh-CN' | 'en';
  client?: ConsentClient | undefined;
  /** Why staff recorded it; kept in the audit event only (the caller has checked it holds no PI). */
  reason?: string | undefined;
}

/** The keyed hash a visitor id is stored under (the id itself is a bearer secret of the browser). */
export const visitorDigest = (ctx: Pick<AppContext, 'keyring'>, visitorId: string): Buffer =>
  ctx.keyring.blindIndex('visitor', visitorId.toLowerCase());

export const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The ledger row of an entry, before its audit event is known. */
function toRow(ctx: AppContext, e: NewConsent, at: Date, digest?: Buffer): Row<'consent_records'> {
  return {
    id: newId(at.getTime()),
    subject_id: 'subjectId' in e.party ? e.party.subjectId : null,
    visitor_digest:
      'visitorId' in e.party ? (digest ?? visitorDigest(ctx, e.party.visitorId)) : null,
    controller_id: e.controllerId,
    purpose_key: e.purpose,
    decision: e.decision,
    policy_version: e.policyVersion,
    notice_sha256: e.noticeSha256,
    method: e.method,
    source: e.source ?? null,
    lang: e.lang,
    ip_prefix: e.client?.ip === undefined ? null : ipPrefix(e.client.ip),
    ua_hash: e.client?.userAgent === undefined ? null : sha256(e.client.userAgent),
    gpc: e.client?.gpc === true ? 1 : 0,
    dnt: e.client?.dnt === true ? 1 : 0,
    created_at: at.toISOString(),
    audit_seq: null,
  };
}

async function insertRows(
  ctx: AppContext,
  trx: Trx,
  rows: ReadonlyArray<Row<'consent_records'>>,
): Promise<void> {
  await bulkInsert(
    ctx.store.dialect,
    trx,
    'consent_records',
    RECORD_COLUMNS,
    rows.map((r) => RECORD_COLUMNS.map((c) => r[c])),
  );
}

const hexOf = (b: Uint8Array | null): string | null =>
  b === null ? null : Buffer.from(b).toString('hex');

/**
 * A record's Merkle leaf hash: RFC 9162 leaf over a JSON array of every column but `audit_seq`,
 * in a fixed order (binary columns as hex). The writer and the ledger check compute it alike.
 */
export function recordLeafHash(row: Row<'consent_records'>): Buffer {
  return hashLeaf(
    Buffer.from(
      JSON.stringify([
        row.id,
        row.subject_id,
        hexOf(row.visitor_digest),
        row.controller_id,
        row.purpose_key,
        row.decision,
        row.policy_version,
        hexOf(row.notice_sha256),
        row.method,
        row.source,
        row.lang,
        row.ip_prefix,
        hexOf(row.ua_hash),
        Number(row.gpc),
        Number(row.dnt),
        row.created_at,
      ]),
      'utf8',
    ),
  );
}

/** Orders by id, the order of a batch's Merkle leaves. */
export const byId = (a: { id: string }, b: { id: string }): number =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * Appends records inside the caller's transaction, each with its own `consent.record` audit
 * event. The caller has validated purposes, policy version and notice; this function only writes.
 */
export async function appendConsents(
  ctx: AppContext,
  trx: Trx,
  entries: readonly NewConsent[],
  actor: Actor = { type: 'anonymous', id: null },
): Promise<Array<Row<'consent_records'>>> {
  const at = ctx.clock.now();
  const rows = entries.map((e) => toRow(ctx, e, at));
  if (rows.length === 0) return rows;
  // One batch append: a constant number of statements however many records.
  const seqs = await ctx.audit.recordMany(
    trx,
    rows.map((row, i) => {
      const reason = entries[i]?.reason;
      return {
        actor,
        action: 'consent.record' as const,
        target: { type: 'consent_record', id: row.id },
        controllerId: row.controller_id,
        outcome: 'success' as const,
        details: {
          subject: row.subject_id,
          purpose: row.purpose_key,
          decision: row.decision,
          method: row.method,
          policyVersion: row.policy_version,
          ...(reason === undefined ? {} : { reason }),
        },
      };
    }),
  );
  rows.forEach((row, i) => (row.audit_seq = seqs[i]!));
  await insertRows(ctx, trx, rows);
  return rows;
}

/** Counts of a batch by decision, for the batch event (what an auditor reads without the rows). */
function tally(rows: ReadonlyArray<Row<'consent_records'>>): Record<string, number> {
  const counts: Record<string, number> = { grant: 0, deny: 0, withdraw: 0, acknowledge: 0 };
  for (const r of rows) counts[r.decision] = (counts[r.decision] ?? 0) + 1;
  return counts;
}

/**
 * Appends anonymous visitors' banner records of one group-committed flush, covered by ONE
 * `consent.batch` audit event carrying the Merkle root over their leaves (in id order) and their
 * number. `digests[i]` is the visitor digest of `entries[i]`, already computed by the writer.
 */
export async function appendConsentBatch(
  ctx: AppContext,
  trx: Trx,
  entries: readonly NewConsent[],
  digests: readonly Buffer[],
): Promise<Array<Row<'consent_records'>>> {
  const at = ctx.clock.now();
  const rows = entries.map((e, i) => toRow(ctx, e, at, digests[i]));
  if (rows.length === 0) return rows;
  const ordered = [...rows].sort(byId);
  const root = rootFromLeafHashes(ordered.map(recordLeafHash));
  const counts = tally(rows);
  const controllers = new Set(rows.map((r) => r.controller_id));
  const seq = await ctx.audit.record(trx, {
    actor: { type: 'anonymous', id: null },
    action: 'consent.batch',
    target: { type: 'consent_batch', id: ordered[0]!.id },
    controllerId: controllers.size === 1 ? [...controllers][0]! : null,
    outcome: 'success',
    details: {
      records: rows.length,
      // base64url: hex digests can hold digit runs the audit trail's personal-data guard refuses.
      root: root.toString('base64url'),
      first: ordered[0]!.id,
      last: ordered[ordered.length - 1]!.id,
      granted: counts.grant!,
      denied: counts.deny!,
      withdrawn: counts.withdraw!,
      purposes: [...new Set(rows.map((r) => r.purpose_key))].sort(),
    },
  });
  for (const row of rows) row.audit_seq = seq;
  await insertRows(ctx, trx, rows);
  return rows;
}

export interface PurposeState {
  purpose: string;
  state: ConsentState;
  /** The record the state comes from; absent when the ledger holds nothing for the purpose. */
  record: Row<'consent_records'> | null;
}

/** The current state of each purpose for a person or visitor: the latest record decides. */
export async function currentConsents(
  ctx: Pick<AppContext, 'keyring'>,
  db: Db | Trx,
  party: ConsentParty,
  purposes?: readonly string[],
): Promise<PurposeState[]> {
  let q = db.selectFrom('consent_records').selectAll();
  q =
    'subjectId' in party
      ? q.where('subject_id', '=', party.subjectId)
      : q.where('visitor_digest', '=', visitorDigest(ctx, party.visitorId));
  if (purposes !== undefined) {
    if (purposes.length === 0) return [];
    q = q.where('purpose_key', 'in', [...purposes]);
  }
  const rows = await q.orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
  const latest = new Map<string, Row<'consent_records'>>();
  for (const row of rows) latest.set(row.purpose_key, row);
  const keys = purposes ?? [...latest.keys()].sort();
  return keys.map((purpose) => {
    const record = latest.get(purpose) ?? null;
    return { purpose, state: stateOf(record?.decision), record };
  });
}

/** True when the latest record for this purpose is a grant. */
export async function hasConsent(
  ctx: Pick<AppContext, 'keyring'>,
  db: Db | Trx,
  party: ConsentParty,
  purpose: string,
): Promise<boolean> {
  const [s] = await currentConsents(ctx, db, party, [purpose]);
  return s?.state === 'granted';
}
