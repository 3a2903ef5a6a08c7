// Checks the consent ledger against the audit trail: every record must be covered by the event its
// audit_seq names, and every consent event must find its records unchanged.
//   - a `consent.record` event names one record (target) and carries its subject, purpose,
//     decision, method and policy version: the record must exist and agree;
//   - a `consent.batch` event carries the number of records of one banner flush and the Merkle root
//     over their leaves in id order (ledger.ts): the records naming it must be exactly that many
//     and hash to that root.
// The audit events themselves are vouched for by the audit log's own check (audit/verify.ts, MACs
// and tree): together, a record slipped in, edited or deleted behind the application's back is
// named here. Both tables are read in pages in key order, so memory holds one page of rows plus
// the batches still open (a batch's records share their creation millisecond, so they are
// neighbours in id order and close within a page or two).
import type { AppContext } from '../context.js';
import { transaction, type Db, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { parseEntry, type Actor, type DetailValue } from '../audit/events.js';
import { rootFromLeafHashes } from '../audit/merkle.js';
import { recordLeafHash } from './ledger.js';

const PAGE = 5000;
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

type Covering =
  | { kind: 'record'; target: string | null; details: Record<string, DetailValue>; seen: boolean }
  | { kind: 'batch'; size: number; root: string; leaves: Buffer[]; done: boolean };

/** The consent events of the audit trail, by sequence number. */
async function consentEvents(db: Db | Trx): Promise<Map<number, Covering>> {
  const events = new Map<number, Covering>();
  let after = -1;
  for (;;) {
    const page = await db
      .selectFrom('audit_events')
      .select(['seq', 'action', 'target_id', 'entry'])
      .where('action', 'in', ['consent.record', 'consent.batch'])
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const e of page) {
      const seq = Number(e.seq);
      const details = parseEntry(Buffer.from(e.entry)).details;
      events.set(
        seq,
        e.action === 'consent.batch'
          ? {
              kind: 'batch',
              size: Number(details.records),
              root: String(details.root),
              leaves: [],
              done: false,
            }
          : { kind: 'record', target: e.target_id, details, seen: false },
      );
      after = seq;
    }
    if (page.length < PAGE) return events;
  }
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

/** Reads both tables and reports every record or event that does not agree. */
export async function verifyConsentLedger(db: Db | Trx): Promise<LedgerCheck> {
  const events = await consentEvents(db);
  const problems: LedgerProblem[] = [];
  let problemCount = 0;
  const report = (p: LedgerProblem) => {
    problemCount++;
    if (problems.length < LISTED) problems.push(p);
  };

  let records = 0;
  let after = '';
  for (;;) {
    const page = await db
      .selectFrom('consent_records')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const row of page) {
      records++;
      after = row.id;
      const seq = row.audit_seq === null ? null : Number(row.audit_seq);
      const covering = seq === null ? undefined : events.get(seq);
      if (seq === null || covering === undefined) {
        report({
          kind: 'unaudited',
          auditSeq: seq,
          recordId: row.id,
          detail: 'no consent audit event covers this record',
        });
        continue;
      }
      if (covering.kind === 'record') {
        const differs =
          covering.target !== row.id
            ? 'the audit event it names is about another record'
            : covering.seen
              ? 'a second record claims the same audit event'
              : disagreement(covering.details, row);
        covering.seen = true;
        if (differs !== null)
          report({ kind: 'altered', auditSeq: seq, recordId: row.id, detail: differs });
        continue;
      }
      if (covering.done) {
        report({
          kind: 'altered',
          auditSeq: seq,
          recordId: row.id,
          detail: `more records name this batch than the ${covering.size} it was written with`,
        });
        continue;
      }
      covering.leaves.push(recordLeafHash(row));
      if (covering.leaves.length === covering.size) {
        covering.done = true;
        if (rootFromLeafHashes(covering.leaves).toString('base64url') !== covering.root)
          report({
            kind: 'altered',
            auditSeq: seq,
            recordId: null,
            detail: `the ${covering.size} records of this batch no longer hash to its Merkle root`,
          });
        covering.leaves = [];
      }
    }
    if (page.length < PAGE) break;
  }

  let recordEvents = 0;
  let batchEvents = 0;
  for (const [seq, e] of events) {
    if (e.kind === 'record') {
      recordEvents++;
      if (!e.seen)
        report({
          kind: 'missing',
          auditSeq: seq,
          recordId: e.target,
          detail: 'the record this audit event was written for is gone',
        });
    } else {
      batchEvents++;
      if (!e.done)
        report({
          kind: 'missing',
          auditSeq: seq,
          recordId: null,
          detail: `${e.size - e.leaves.length} of the ${e.size} records of this batch are gone`,
        });
    }
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
