// Group commit for banner consent events. A public site sends one event per visitor choice, many
// at once; writing each in its own transaction would queue every request on the audit head (one
// chain, one writer at a time). Instead a request queues its records here and waits: one
// transaction per flush reads the current state of the visitors in the batch (to tell a denial
// from a withdrawal), inserts every record with one statement under one `consent.batch` audit
// event (a Merkle root over the records, see ledger.ts), and only after COMMIT answers every
// waiter. What arrives while flushes are in flight waits for the next one, so batches grow with the
// load by themselves.
import type { AppContext } from '../context.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { unavailable } from '../errors.js';
import type { ConsentDecision } from './contracts.js';
import { appendConsentBatch, visitorDigest, type NewConsent } from './ledger.js';

/** Most records one flush writes: bounds the transaction and the statement's parameters. */
export const MAX_BATCH_RECORDS = 256;
/** Flushes in flight at once (see schedule). */
const MAX_FLUSHES = 2;

/** A banner decision before the ledger tells whether `granted: false` is a denial or a withdrawal. */
export type QueuedConsent = Omit<NewConsent, 'decision' | 'party'> & {
  party: { visitorId: string };
  granted: boolean;
};

interface Waiter {
  entries: readonly QueuedConsent[];
  /** Keyed digest of each entry's visitor, and its hex form (the key of the in-flight set). */
  digests: Buffer[];
  keys: string[];
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
  batch: readonly Waiter[],
): Promise<Array<Row<'consent_records'>>> {
  const entries = batch.flatMap((w) => w.entries);
  const digests = batch.flatMap((w) => w.digests);
  const keys = batch.flatMap((w) => w.keys);
  const purposes = [...new Set(entries.map((e) => e.purpose))];
  const history = await trx
    .selectFrom('consent_records')
    .select(['visitor_digest', 'purpose_key', 'decision'])
    .where('visitor_digest', 'in', [...new Map(keys.map((k, i) => [k, digests[i]!])).values()])
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
    const key = `${keys[i]!}\u0000${e.purpose}`;
    const decision: ConsentDecision = granted
      ? 'grant'
      : latest.get(key) === 'grant'
        ? 'withdraw'
        : 'deny';
    latest.set(key, decision);
    return { ...e, decision };
  });
  return appendConsentBatch(ctx, trx, decided, digests);
}

/** Creates the writer of one application; `close` it when the application closes. */
export function createConsentWriter(
  ctx: AppContext,
  maxBatch: number = MAX_BATCH_RECORDS,
): ConsentWriter {
  let queue: Waiter[] = [];
  let active = 0;
  /** Visitors with records in a flush not yet committed. */
  const busy = new Set<string>();
  let closed = false;

  /**
   * Takes whole events up to the cap (always at least one, which holds at most a handful), in
   * queue order, leaving in the queue any whose visitor is in a flush still in flight, and every
   * later event of a visitor so held back: a visitor's next record is decided only after the
   * previous one is committed, so a "no" still tells a withdrawal from a denial.
   */
  function take(): Waiter[] {
    const batch: Waiter[] = [];
    const rest: Waiter[] = [];
    const blocked = new Set(busy);
    let n = 0;
    for (const w of queue) {
      const fits = batch.length === 0 || n + w.entries.length <= maxBatch;
      if (fits && !w.keys.some((k) => blocked.has(k))) {
        batch.push(w);
        n += w.entries.length;
      } else {
        rest.push(w);
        for (const k of w.keys) blocked.add(k);
      }
    }
    queue = rest;
    return batch;
  }

  async function flush(batch: Waiter[]): Promise<void> {
    for (const w of batch) for (const k of w.keys) busy.add(k);
    try {
      const rows = await transaction(ctx.store, (trx) => writeBatch(ctx, trx, batch));
      let at = 0;
      for (const w of batch) {
        w.resolve(rows.slice(at, at + w.entries.length));
        at += w.entries.length;
      }
    } catch (error) {
      // Nothing of the batch was written: every waiter hears so (a real database failure).
      for (const w of batch) w.reject(error);
    } finally {
      for (const w of batch) for (const k of w.keys) busy.delete(k);
    }
  }

  let pending: NodeJS.Immediate | null = null;

  /**
   * Starts the next flush on the event loop's check phase, not at once: SQLite answers
   * synchronously, so a flush begun from a request's own callback would run to its COMMIT before
   * the next request waiting on a socket is even parsed, and every batch would hold one event.
   * Deferred, a flush takes everything that arrived in the same turn of the loop. Up to
   * MAX_FLUSHES run at once: while one waits on the database (PostgreSQL round trips; SQLite's
   * shared COMMIT), the next takes what arrived meanwhile, and the audit head's lock orders them.
   */
  function schedule(): void {
    if (pending !== null || queue.length === 0 || active >= MAX_FLUSHES) return;
    pending = setImmediate(() => {
      pending = null;
      while (active < MAX_FLUSHES && queue.length > 0) {
        const batch = take();
        if (batch.length === 0) return;
        active++;
        void flush(batch).finally(() => {
          active--;
          schedule();
        });
      }
    });
  }

  return {
    write(entries) {
      if (closed)
        return Promise.reject(unavailable('The server is shutting down; send the choice again.'));
      if (entries.length === 0) return Promise.resolve([]);
      // One keyed digest per entry, reused for the in-flight check, the state read and the row.
      const digests = entries.map((e) => visitorDigest(ctx, e.party.visitorId));
      const keys = digests.map((d) => d.toString('hex'));
      return new Promise((resolve, reject) => {
        queue.push({ entries, digests, keys, resolve, reject });
        schedule();
      });
    },
    async close() {
      closed = true;
      while (active > 0 || queue.length > 0) {
        schedule();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
  };
}
