// Checks the consent ledger against the audit trail: every record must be covered by the event its
// audit_seq names, and every consent event must find its records unchanged.
//   - a `consent.record` event names one record (target) and carries its subject, purpose,
//     decision, method and policy version: the record must exist and agree;
//   - a `consent.batch` event carries the number of records of one banner flush and the Merkle root
//     over their leaves in id order (ledger.ts): the records naming it must be exactly that many
//     and hash to that root.
// The audit events themselves are vouched for by the audit log's own check (audit/verify.ts, MACs
// and tree): together, a record slipped in, edited or deleted behind the application's back is
// named here. Records are read in pages in id order, each page with the events its records name;
// then the consent events in pages in sequence order, for those whose records are all gone. Memory
// holds a page, the batches still open (a batch's records share their creation millisecond, so
// they are neighbours in id order and close within a page or two) and the sequence numbers seen.
import type { AppContext } from '../context.js';
import { transaction, type Db, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { parseEntry, type Actor, type DetailValue } from '../audit/events.js';
import { rootFromLeafHashes } from '../audit/merkle.js';
import { recordLeafHash } from './ledger.js';

const PAGE = 5000;
/** Events fetched per query by sequence number (well under every engine's parameter limit). */
const BY_SEQ = 1000;
/** Problems listed in full; beyond this only counted. */
const LISTED = 100;

export type LedgerProblemKind = 'unaudited' | 'altered' | 'missing';

export interface LedgerProblem {
  kind: LedgerProblemKind;
  /** The audit event concerned, when there is one. */
  auditSeq: number | null;
  recordId: string | null;
  detail: string;
}

export interface LedgerCheck {
  ok: boolean;
  records: number;
  /** `consent.record` events checked. */
  recordEvents: number;
  /** `consent.batch` events checked. */
  batchEvents: number;
  problemCount: number;
  /** The first problems found, in record order. */
  problems: LedgerProblem[];
}

/** A batch event whose records are still being read. */
interface OpenBatch {
  size: number;
  root: string;
  leaves: Buffer[];
}

type Covering =
  | { kind: 'record'; target: string | null; details: Record<string, DetailValue> }
  | { kind: 'batch'; size: number; root: string };

const CONSENT_ACTIONS = ['consent.record', 'consent.batch'] as const;

/** The consent events among `seqs`, by sequence number. */
async function eventsBySeq(
  db: Db | Trx,
  seqs: readonly number[],
  chunk: number,
): Promise<Map<number, Covering>> {
  const events = new Map<number, Covering>();
  for (let i = 0; i < seqs.length; i += chunk) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['seq', 'action', 'target_id', 'entry'])
      .where('seq', 'in', seqs.slice(i, i + chunk))
      .where('action', 'in', [...CONSENT_ACTIONS])
      .execute();
    for (const e of rows) {
      const details = parseEntry(Buffer.from(e.entry)).details;
      events.set(
        Number(e.seq),
        e.action === 'consent.batch'
          ? { kind: 'batch', size: Number(details.records), root: String(details.root) }
          : { kind: 'record', target: e.target_id, details },
      );
    }
  }
  return events;
}

/** What a `consent.record` event says that its record must still say. */
function disagreement(
  details: Record<string, DetailValue>,
  row: Row<'consent_records'>,
): string | null {
  const expected: Array<[string, DetailValue | undefined, string | null]> = [
    ['subject', details.subject, row.subject_id],
    ['purpose', details.purpose, row.purpose_key],
    ['decision', details.decision, row.decision],
    ['method', details.method, row.method],
    ['policyVersion', details.policyVersion, row.policy_version],
  ];
  const bad = expected.find(([, said, stored]) => (said ?? null) !== stored);
  return bad === undefined ? null : `its ${bad[0]} differs from what the audit event recorded`;
}

/** Page sizes (tests make them tiny so every page border is crossed). */
export interface LedgerCheckOptions {
  page?: number;
  bySeq?: number;
}

/** Reads both tables and reports every record or event that does not agree. */
export async function verifyConsentLedger(
  db: Db | Trx,
  { page: pageSize = PAGE, bySeq = BY_SEQ }: LedgerCheckOptions = {},
): Promise<LedgerCheck> {
  const problems: LedgerProblem[] = [];
  let problemCount = 0;
  const report = (p: LedgerProblem) => {
    problemCount++;
    if (problems.length < LISTED) problems.push(p);
  };
  /** Record events whose record was found; batch events whose records were all found. */
  const seenRecords = new Set<number>();
  const doneBatches = new Set<number>();
  const open = new Map<number, OpenBatch>();

  // Pass 1: every record, against the event it names.
  let records = 0;
  let after = '';
  for (;;) {
    const page = await db
      .selectFrom('consent_records')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    const named = [
      ...new Set(
        page.flatMap((r) =>
          r.audit_seq === null || open.has(Number(r.audit_seq)) ? [] : [Number(r.audit_seq)],
        ),
      ),
    ];
    const events = await eventsBySeq(db, named, bySeq);
    for (const row of page) {
      records++;
      after = row.id;
      const seq = row.audit_seq === null ? null : Number(row.audit_seq);
      const batch = seq === null ? undefined : open.get(seq);
      const covering = seq === null || batch !== undefined ? undefined : events.get(seq);
      if (seq === null || (batch === undefined && covering === undefined)) {
        report({
          kind: 'unaudited',
          auditSeq: seq,
          recordId: row.id,
          detail: 'no consent audit event covers this record',
        });
        continue;
      }
      if (covering?.kind === 'record') {
        const differs =
          covering.target !== row.id
            ? 'the audit event it names is about another record'
            : seenRecords.has(seq)
              ? 'a second record claims the same audit event'
              : disagreement(covering.details, row);
        seenRecords.add(seq);
        if (differs !== null)
          report({ kind: 'altered', auditSeq: seq, recordId: row.id, detail: differs });
        continue;
      }
      if (doneBatches.has(seq)) {
        report({
          kind: 'altered',
          auditSeq: seq,
          recordId: row.id,
          detail: 'more records name this batch than it was written with',
        });
        continue;
      }
      const current = batch ?? { size: covering!.size, root: covering!.root, leaves: [] };
      open.set(seq, current);
      current.leaves.push(recordLeafHash(row));
      if (current.leaves.length === current.size) {
        open.delete(seq);
        doneBatches.add(seq);
        if (rootFromLeafHashes(current.leaves).toString('base64url') !== current.root)
          report({
            kind: 'altered',
            auditSeq: seq,
            recordId: null,
            detail: `the ${current.size} records of this batch no longer hash to its Merkle root`,
          });
      }
    }
    if (page.length < pageSize) break;
  }

  // Pass 2: every consent event, for records that are gone.
  let recordEvents = 0;
  let batchEvents = 0;
  let afterSeq = -1;
  for (;;) {
    const page = await db
      .selectFrom('audit_events')
      .select(['seq', 'action', 'target_id', 'entry'])
      .where('action', 'in', [...CONSENT_ACTIONS])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const e of page) {
      const seq = Number(e.seq);
      afterSeq = seq;
      if (e.action === 'consent.record') {
        recordEvents++;
        if (!seenRecords.has(seq))
          report({
            kind: 'missing',
            auditSeq: seq,
            recordId: e.target_id,
            detail: 'the record this audit event was written for is gone',
          });
        continue;
      }
      batchEvents++;
      if (doneBatches.has(seq)) continue;
      const size = Number(parseEntry(Buffer.from(e.entry)).details.records);
      const found = open.get(seq)?.leaves.length ?? 0;
      report({
        kind: 'missing',
        auditSeq: seq,
        recordId: null,
        detail: `${size - found} of the ${size} records of this batch are gone`,
      });
    }
    if (page.length < pageSize) break;
  }
  return { ok: problemCount === 0, records, recordEvents, batchEvents, problemCount, problems };
}

/** Runs the check for `actor` (staff over HTTP, or the CLI) and records that it ran, with counts. */
export async function checkConsentLedger(ctx: AppContext, actor: Actor): Promise<LedgerCheck> {
  const result = await verifyConsentLedger(ctx.store.db);
  await transaction(ctx.store, (trx) =>
    ctx.audit.record(trx, {
      actor,
      action: 'consent.verify',
      outcome: result.ok ? 'success' : 'failure',
      details: { records: result.records, problems: result.problemCount },
    }),
  );
  return result;
}
