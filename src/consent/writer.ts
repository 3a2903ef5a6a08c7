// Group commit for banner consent events. A public site sends one event per visitor choice, many
// at once; writing each in its own transaction would queue every request on the audit head (one
// chain, one writer at a time). Instead a request queues its records here and waits: one
// transaction per flush reads the current state of the visitors in the batch (to tell a denial
// from a withdrawal), inserts every record with one statement under one `consent.batch` audit
// event (a Merkle root over the records, see ledger.ts), and only after COMMIT answers every waiter. A flush starts at once when the writer is idle, otherwise as
// soon as the previous one has committed, so batches grow with the load by themselves.
import type { AppContext } from '../context.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { unavailable } from '../errors.js';
import type { ConsentDecision } from './contracts.js';
import { appendConsentBatch, visitorDigest, type NewConsent } from './ledger.js';

/** Most records one flush writes: bounds the transaction and the statement's parameters. */
export const MAX_BATCH_RECORDS = 256;

/** A banner decision before the ledger tells whether `granted: false` is a denial or a withdrawal. */
export type QueuedConsent = Omit<NewConsent, 'decision' | 'party'> & {
  party: { visitorId: string };
  granted: boolean;
};

interface Waiter {
  entries: readonly QueuedConsent[];
  resolve: (rows: Array<Row<'consent_records'>>) => void;
  reject: (error: unknown) => void;
}

export interface ConsentWriter {
  /** Queues one event's records; resolves with the stored rows once they are committed. */
  write(entries: readonly QueuedConsent[]): Promise<Array<Row<'consent_records'>>>;
  /** Refuses new writes and waits until everything queued is written. */
  close(): Promise<void>;
}

/** Writes one batch inside `trx`: states read once, then one multi-row insert and its audit event. */
async function writeBatch(
  ctx: AppContext,
  trx: Trx,
  entries: readonly QueuedConsent[],
): Promise<Array<Row<'consent_records'>>> {
  // One keyed digest per entry, reused for the state read and the state key.
  const keys = entries.map((e) => visitorDigest(ctx, e.party.visitorId));
  const digests = new Map(keys.map((d) => [d.toString('hex'), d]));
  const purposes = [...new Set(entries.map((e) => e.purpose))];
  const history = await trx
    .selectFrom('consent_records')
    .select(['visitor_digest', 'purpose_key', 'decision'])
    .where('visitor_digest', 'in', [...digests.values()])
    .where('purpose_key', 'in', purposes)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
  const latest = new Map<string, ConsentDecision>();
  for (const r of history)
    if (r.visitor_digest !== null)
      latest.set(
        `${Buffer.from(r.visitor_digest).toString('hex')}\u0000${r.purpose_key}`,
        r.decision,
      );
  // In queue order, so two events of one visitor in the same batch see each other.
  const decided: NewConsent[] = entries.map(({ granted, ...e }, i) => {
    const key = `${keys[i]!.toString('hex')}\u0000${e.purpose}`;
    const decision: ConsentDecision = granted
      ? 'grant'
      : latest.get(key) === 'grant'
        ? 'withdraw'
        : 'deny';
    latest.set(key, decision);
    return { ...e, decision };
  });
  return appendConsentBatch(ctx, trx, decided, keys);
}

/** Creates the writer of one application; `close` it when the application closes. */
export function createConsentWriter(
  ctx: AppContext,
  maxBatch: number = MAX_BATCH_RECORDS,
): ConsentWriter {
  let queue: Waiter[] = [];
  let flushing: Promise<void> | null = null;
  let closed = false;

  /** Takes whole events up to the cap (always at least one, which holds at most a handful). */
  function take(): Waiter[] {
    let n = 0;
    let i = 0;
    while (i < queue.length && (i === 0 || n + queue[i]!.entries.length <= maxBatch)) {
      n += queue[i]!.entries.length;
      i++;
    }
    const batch = queue.slice(0, i);
    queue = queue.slice(i);
    return batch;
  }

  async function flush(batch: Waiter[]): Promise<void> {
    try {
      const rows = await transaction(ctx.store, (trx) =>
        writeBatch(
          ctx,
          trx,
          batch.flatMap((w) => w.entries),
        ),
      );
      let at = 0;
      for (const w of batch) {
        w.resolve(rows.slice(at, at + w.entries.length));
        at += w.entries.length;
      }
    } catch (error) {
      // Nothing of the batch was written: every waiter hears so (a real database failure).
      for (const w of batch) w.reject(error);
    }
  }

  let pending: NodeJS.Immediate | null = null;

  /**
   * Starts the next flush on the event loop's check phase, not at once: SQLite answers
   * synchronously, so a flush begun from a request's own callback would run to its COMMIT before
   * the next request waiting on a socket is even parsed, and every batch would hold one event.
   * Deferred, a flush takes everything that arrived in the same turn of the loop.
   */
  function schedule(): void {
    if (flushing !== null || pending !== null || queue.length === 0) return;
    pending = setImmediate(() => {
      pending = null;
      if (flushing !== null || queue.length === 0) return;
      flushing = flush(take()).finally(() => {
        flushing = null;
        schedule();
      });
    });
  }

  return {
    write(entries) {
      if (closed)
        return Promise.reject(unavailable('The server is shutting down; send the choice again.'));
      if (entries.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        queue.push({ entries, resolve, reject });
        schedule();
      });
    },
    async close() {
      closed = true;
      while (flushing !== null || queue.length > 0) {
        if (flushing === null) schedule();
        await (flushing ?? new Promise((resolve) => setImmediate(resolve)));
      }
    },
  };
}
