// The verifiable audit log (RFC 6962/9162, as Certificate Transparency): each event is a leaf of
// a Merkle tree, appended in the SAME transaction as the change it records, so a change whose
// audit record cannot be written does not happen (Vault's rule, P-A1). Alongside each leaf we keep
// an HMAC over (position, leaf hash) that pins the event to its place: without the key nobody can
// edit, delete, reorder or forge an event without `verify` naming it. Signed checkpoints
// (checkpoint.ts) let outsiders hold the operator to the history, keys or not.
import { createHmac } from 'node:crypto';
import type { Store, Trx } from '../db/store.js';
import type { Keyring } from '../crypto/keyring.js';
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

/** The MAC pinning leaf `seq` to its position: HMAC-SHA256(key, be64(seq) || leafHash). */
export function eventMac(key: Buffer, seq: number, leafHash: Buffer): Buffer {
  const position = Buffer.alloc(8);
  position.writeBigUInt64BE(BigInt(seq));
  return createHmac('sha256', key).update(position).update(leafHash).digest();
}

export interface AuditLog {
  /** Appends one event inside `trx`; returns its sequence number (= Merkle leaf index). */
  record(trx: Trx, event: AuditEvent): Promise<number>;
}

export interface AuditClock {
  now(): Date;
}

/** Creates the audit writer bound to a store (for dialect-specific locking) and the keyring. */
export function createAuditLog(
  store: Pick<Store, 'dialect'>,
  keyring: Keyring,
  clock: AuditClock,
): AuditLog {
  return {
    async record(trx, event) {
      if (trx === undefined || trx === null)
        throw new AuditUsageError('audit.record needs the transaction of the change it records');
      if (event.actor === undefined || event.actor === null)
        throw new AuditUsageError('audit.record needs an actor');
      if (!trx.isTransaction)
        throw new AuditUsageError('audit.record must run inside a transaction');
      assertNoPersonalData(event);

      try {
        return await append(trx, event);
      } catch (error) {
        throw error instanceof AuditUsageError ? error : new AuditWriteError(error);
      }
    },
  };

  async function append(trx: Trx, event: AuditEvent): Promise<number> {
    // The head row serialises appends: on PostgreSQL concurrent writers queue on its lock, so
    // sequence numbers are gap-free and in commit order; SQLite holds the write lock already.
    let q = trx.selectFrom('audit_head').select(['size', 'frontier']).where('id', '=', 1);
    if (store.dialect === 'postgres') q = q.forUpdate();
    const head = await q.executeTakeFirstOrThrow();
    const seq = Number(head.size);
    const at = clock.now().toISOString();
    const entry = canonicalEntry(at, event);
    const leafHash = hashLeaf(entry);
    const { frontier, completed } = appendToFrontier(decodeFrontier(head.frontier), seq, leafHash);

    await trx
      .insertInto('audit_events')
      .values({
        seq,
        at,
        action: event.action,
        actor_type: event.actor.type,
        actor_id: event.actor.id,
        target_type: event.target?.type ?? null,
        target_id: event.target?.id ?? null,
        controller_id: event.controllerId ?? null,
        outcome: event.outcome,
        entry,
        leaf_hash: leafHash,
        mac: eventMac(keyring.auditMacKey, seq, leafHash),
      })
      .execute();
    if (completed.length > 0) {
      await trx
        .insertInto('audit_nodes')
        .values(completed.map((n) => ({ level: n.level, idx: n.index, hash: n.hash })))
        .execute();
    }
    await trx
      .updateTable('audit_head')
      .set({ size: seq + 1, frontier: encodeFrontier(frontier), updated_at: at })
      .where('id', '=', 1)
      .execute();
    return seq;
  }
}
