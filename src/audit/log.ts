// The verifiable audit log (RFC 6962/9162, as Certificate Transparency): each event is a leaf of
// a Merkle tree, appended in the SAME transaction as the change it records, so a change whose
// audit record cannot be written does not happen (Vault's rule, P-A1). Alongside each leaf we keep
// an HMAC over (position, leaf hash) that pins the event to its place: without the key nobody can
// edit, delete, reorder or forge an event without `verify` naming it. Signed checkpoints
// (checkpoint.ts) let outsiders hold the operator to the history, keys or not.
import { hash } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import { bulkInsert } from '../db/bulk-insert.js';
import type { Store, Trx } from '../db/store.js';
import type { Keyring } from '../crypto/keyring.js';
import { hmacPads } from '../crypto/primitives.js';
import { assertNoPersonalData, canonicalEntry, type AuditEvent } from './events.js';
import { appendToFrontier, decodeFrontier, encodeFrontier, hashLeaf } from './merkle.js';

/** Raised when an audit write is attempted without what it needs: a programming error. */
export class AuditUsageError extends Error {}

/**
 * The audit record could not be stored, so the change it records must not happen either: thrown
 * inside the change's transaction, it rolls everything back, and the edge answers 503.
 */
export class AuditWriteError extends Error {
  constructor(cause: unknown) {
    super('the audit record could not be written', { cause });
    this.name = 'AuditWriteError';
  }
}

/**
 * The MAC pinning leaf `seq` to its position: HMAC-SHA256(key, be64(seq) || leafHash) (RFC 2104),
 * computed as two one-shot hashes over the padded key so that replaying a large log does not pay
 * for one HMAC object per event. The test suite checks it against node's createHmac.
 */
export function eventMac(key: Buffer, seq: number, leafHash: Buffer): Buffer {
  const pads = hmacPads(key);
  const inner = Buffer.allocUnsafe(64 + 8 + 32);
  pads.ipad.copy(inner, 0);
  inner.writeBigUInt64BE(BigInt(seq), 64);
  leafHash.copy(inner, 72);
  const outer = Buffer.allocUnsafe(64 + 32);
  pads.opad.copy(outer, 0);
  hash('sha256', inner, 'buffer').copy(outer, 64);
  return hash('sha256', outer, 'buffer');
}

export interface AuditLog {
  /** Appends one event inside `trx`; returns its sequence number (= Merkle leaf index). */
  record(trx: Trx, event: AuditEvent): Promise<number>;
  /**
   * Appends events in order inside `trx`, as `record` would one by one, but with a constant number
   * of statements (one insert of the events, one of the completed tree nodes, one head update):
   * for batched writers such as the consent ledger. Every event is checked before anything is
   * written. Returns their sequence numbers.
   */
  recordMany(trx: Trx, events: readonly AuditEvent[]): Promise<number[]>;
}

const EVENT_COLUMNS = [
  'seq',
  'at',
  'action',
  'actor_type',
  'actor_id',
  'target_type',
  'target_id',
  'controller_id',
  'outcome',
  'entry',
  'leaf_hash',
  'mac',
] as const;
const NODE_COLUMNS = ['level', 'idx', 'hash'] as const;

export interface AuditClock {
  now(): Date;
}

/** Creates the audit writer bound to a store (for dialect-specific locking) and the keyring. */
export function createAuditLog(
  store: Pick<Store, 'dialect'>,
  keyring: Keyring,
  clock: AuditClock,
): AuditLog {
  // The head as this transaction last left it: later appends in the same transaction skip the
  // read. Dropped with the transaction object; only set after a fully successful append.
  const heads = new WeakMap<Trx, { size: number; frontier: Buffer[] }>();
  const sqlFor = statements(store.dialect);

  function check(trx: Trx, event: AuditEvent): void {
    if (trx === undefined || trx === null)
      throw new AuditUsageError('audit.record needs the transaction of the change it records');
    if (event.actor === undefined || event.actor === null)
      throw new AuditUsageError('audit.record needs an actor');
    if (!trx.isTransaction) throw new AuditUsageError('audit.record must run inside a transaction');
    assertNoPersonalData(event);
  }

  async function guarded<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      throw error instanceof AuditUsageError ? error : new AuditWriteError(error);
    }
  }

  return {
    async record(trx, event) {
      check(trx, event);
      return guarded(async () => (await append(trx, [event]))[0]!);
    },
    async recordMany(trx, events) {
      for (const event of events) check(trx, event);
      if (events.length === 0) return [];
      return guarded(() => append(trx, events));
    },
  };

  async function append(trx: Trx, events: readonly AuditEvent[]): Promise<number[]> {
    let head = heads.get(trx);
    if (head === undefined) {
      // The head row serialises appends: on PostgreSQL concurrent writers queue on its lock, so
      // sequence numbers are gap-free and in commit order; SQLite holds the write lock already.
      const r = await trx.executeQuery<{ size: number; frontier: Buffer }>(
        CompiledQuery.raw(sqlFor.readHead, []),
      );
      const row = r.rows[0];
      if (row === undefined) throw new Error('audit head row is missing');
      head = { size: Number(row.size), frontier: decodeFrontier(row.frontier) };
    }
    const at = clock.now().toISOString();
    let size = head.size;
    let frontier = head.frontier;
    const eventRows: unknown[][] = [];
    const nodeRows: unknown[][] = [];
    const seqs: number[] = [];
    for (const event of events) {
      const seq = size;
      const entry = canonicalEntry(at, event);
      const leafHash = hashLeaf(entry);
      const appended = appendToFrontier(frontier, seq, leafHash);
      eventRows.push([
        seq,
        at,
        event.action,
        event.actor.type,
        event.actor.id,
        event.target?.type ?? null,
        event.target?.id ?? null,
        event.controllerId ?? null,
        event.outcome,
        entry,
        leafHash,
        eventMac(keyring.auditMacKey, seq, leafHash),
      ]);
      for (const n of appended.completed) nodeRows.push([n.level, n.index, n.hash]);
      frontier = appended.frontier;
      seqs.push(seq);
      size = seq + 1;
    }

    // Pre-written statements rather than the query builder: this runs inside every audited change.
    await bulkInsert(store.dialect, trx, 'audit_events', EVENT_COLUMNS, eventRows);
    await bulkInsert(store.dialect, trx, 'audit_nodes', NODE_COLUMNS, nodeRows);
    await trx.executeQuery(
      CompiledQuery.raw(sqlFor.updateHead, [size, encodeFrontier(frontier), at]),
    );
    heads.set(trx, { size, frontier });
    return seqs;
  }
}

function statements(dialect: Store['dialect']) {
  const p = (i: number) => (dialect === 'postgres' ? `$${i}` : '?');
  return {
    readHead: `select size, frontier from audit_head where id = 1${dialect === 'postgres' ? ' for update' : ''}`,
    updateHead: `update audit_head set size = ${p(1)}, frontier = ${p(2)}, updated_at = ${p(3)} where id = 1`,
  };
}
