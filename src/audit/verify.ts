// `custos audit verify` and GET /api/v1/audit/verify: replays the whole log and answers ok, or
// names the first bad event and what is wrong with it:
//   altered    the event's bytes no longer hash to its leaf, its indexed columns disagree with its
//              bytes, or its MAC does not verify (content rewritten, hashes recomputed, no key)
//   missing    a position is empty, or the log is shorter than its head or a checkpoint says
//   reordered  an intact event sits at the wrong position (two events swapped)
//   rewritten  every event checks out on its own, but the tree no longer matches a signed
//              checkpoint: history was rewritten by someone holding the keys. Only checkpoints
//              held outside the database catch this (research/reliability.md P-A3); the first
//              event not vouched for is the one after the last checkpoint that still matches.
import type { Keyring } from '../crypto/keyring.js';
import type { Db } from '../db/store.js';
import { constantTimeEqual } from '../crypto/primitives.js';
import { eventMac } from './log.js';
import { parseEntry } from './events.js';
import { createHashPool, defaultWorkers, type ChunkHashes, type HashPool } from './hash-pool.js';
import { hashLeaf, TreeBuilder } from './merkle.js';
import { checkpointBody, publicKeyObject } from './note.js';
import { verify as verifySignature } from 'node:crypto';

export type TamperKind = 'altered' | 'missing' | 'reordered' | 'rewritten' | 'bad-checkpoint';

export type VerifyResult =
  | { ok: true; size: number; root: string; checkpointsChecked: number }
  | { ok: false; kind: TamperKind; firstBadEvent: number; detail: string; size: number };

/** Rows per read; a multiple of the chunk so pages of an intact log start on chunk borders. */
const PAGE = 8192;
/** Events per worker chunk: perfect subtrees of 2^10 leaves. */
const CHUNK_LEVEL = 10;
/** Below this many events, starting worker threads costs more than it saves. */
const PARALLEL_FROM = 4096;

export interface VerifyOptions {
  pageSize?: number;
  /** Worker threads for hashing (default: one per core, at most 4; 0 or 1: hash inline). */
  workers?: number;
  /** log2 of the events per worker chunk. */
  chunkLevel?: number;
  /** Smallest log (events) verified with workers. */
  parallelFrom?: number;
}

/** Worker results for one page: per-row leaf and MAC, and the roots of its aligned chunks. */
interface PageHashes {
  first: number;
  leaves: Buffer;
  macs: Buffer;
  /** Root of each full chunk, by the position of its first event. */
  roots: Map<number, Buffer>;
}

function hashPage(
  pool: HashPool,
  rows: readonly Row[],
  first: number,
  chunk: number,
): Promise<PageHashes> {
  const parts: Array<Promise<ChunkHashes>> = [];
  const starts: number[] = [];
  for (let i = 0; i < rows.length;) {
    const position = first + i;
    const width = Math.min(chunk - (position % chunk), rows.length - i);
    starts.push(position);
    parts.push(
      pool.hashChunk(
        rows.slice(i, i + width).map((r) => r.entry),
        position,
      ),
    );
    i += width;
  }
  return Promise.all(parts).then((done) => {
    const roots = new Map<number, Buffer>();
    done.forEach((d, k) => {
      if (starts[k]! % chunk === 0 && d.leaves.length === chunk * 32) roots.set(starts[k]!, d.root);
    });
    return {
      first,
      leaves: Buffer.concat(done.map((d) => d.leaves)),
      macs: Buffer.concat(done.map((d) => d.macs)),
      roots,
    };
  });
}

interface Row {
  seq: number;
  at: string;
  action: string;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  controller_id: string | null;
  outcome: string;
  entry: Buffer;
  leaf_hash: Buffer;
  mac: Buffer;
}

/** Do the indexed columns say what the hashed entry says? */
function columnsMatch(row: Row): boolean {
  try {
    const e = parseEntry(row.entry);
    return (
      e.at === row.at &&
      e.action === row.action &&
      e.actor.type === row.actor_type &&
      e.actor.id === row.actor_id &&
      (e.target?.type ?? null) === row.target_type &&
      (e.target?.id ?? null) === row.target_id &&
      e.controller === row.controller_id &&
      e.outcome === row.outcome
    );
  } catch {
    return false;
  }
}

const macValidAt = (key: Buffer, row: Row, position: number, leaf: Buffer): boolean =>
  position >= 0 && constantTimeEqual(eventMac(key, position, leaf), row.mac);

/** Replays the log from the first event; see the file comment for the answers. */
export async function verifyAuditLog(
  db: Db,
  keyring: Keyring,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? PAGE;
  const chunkLevel = options.chunkLevel ?? CHUNK_LEVEL;
  const chunk = 2 ** chunkLevel;
  const head = await db
    .selectFrom('audit_head')
    .select('size')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  const headSize = Number(head.size);
  const checkpoints = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .orderBy('size')
    .execute();
  const macKey = keyring.auditMacKey;
  const fail = (kind: TamperKind, firstBadEvent: number, detail: string): VerifyResult => ({
    ok: false,
    kind,
    firstBadEvent,
    detail,
    size: headSize,
  });

  // Checkpoint signatures first: a forged checkpoint must not be used to judge the events.
  for (const c of checkpoints) {
    const body = checkpointBody({ origin: c.origin, size: Number(c.size), root: c.root });
    const publicKey = keyring.signing.version === c.key_version ? keyring.signing.publicKey : null;
    if (
      publicKey === null ||
      !verifySignature(null, body, publicKeyObject(publicKey), c.signature)
    ) {
      return fail(
        'bad-checkpoint',
        Number(c.size),
        `the stored checkpoint at size ${c.size} has an invalid signature`,
      );
    }
  }

  const workers = options.workers ?? defaultWorkers();
  const pool =
    workers > 1 && headSize >= (options.parallelFrom ?? PARALLEL_FROM)
      ? createHashPool(keyring.auditMacKey, workers)
      : null;
  try {
    return await replay(pool);
  } finally {
    await pool?.close();
  }

  async function replay(pool: HashPool | null): Promise<VerifyResult> {
    const tree = new TreeBuilder();
    let position = 0;
    let nextCheckpoint = 0;
    let lastGood = 0;
    // A chunk whose root comes from a worker: its leaves are checked one by one but folded into
    // the tree as one subtree once its last event has passed.
    let pendingRoot: Buffer | null = null;
    let pendingEnd = -1;
    const fetchAfter = async (cursor: number): Promise<Row[]> => {
      const rows = (await db
        .selectFrom('audit_events')
        .select([
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
        ])
        .where('seq', '>', cursor)
        .orderBy('seq')
        .limit(pageSize)
        .execute()) as Row[];
      for (const r of rows) r.seq = Number(r.seq);
      return rows;
    };
    const hashes = (rows: Row[], first: number): Promise<PageHashes> | null =>
      pool !== null && rows.length > 0 ? hashPage(pool, rows, first, chunk) : null;

    // Each page is read, and handed to the workers, while the one before it is being checked;
    // the first row of the next page is the lookahead that tells a swap from a removal.
    let page = await fetchAfter(-1);
    let pageHashes = hashes(page, 0);
    while (page.length > 0) {
      const nextPage = page.length < pageSize ? [] : await fetchAfter(page[page.length - 1]!.seq);
      const nextHashes = hashes(nextPage, position + page.length);
      const ph = pageHashes === null ? null : await pageHashes;
      for (let i = 0; i < page.length; i++) {
        const row = page[i]!;
        const next = page[i + 1] ?? nextPage[0];
        if (row.seq !== position) {
          return fail(
            'missing',
            position,
            `event ${position} is missing (the next stored event is ${row.seq})`,
          );
        }
        const fromWorker = ph !== null && ph.first + i === position;
        const leaf = fromWorker ? ph.leaves.subarray(i * 32, i * 32 + 32) : hashLeaf(row.entry);
        if (!constantTimeEqual(leaf, row.leaf_hash))
          return fail('altered', position, `event ${position} no longer matches its leaf hash`);
        const macOk = fromWorker
          ? constantTimeEqual(ph.macs.subarray(i * 32, i * 32 + 32), row.mac)
          : macValidAt(macKey, row, position, leaf);
        if (!macOk) {
          if (macValidAt(macKey, row, position + 1, leaf)) {
            const swapped =
              next !== undefined && macValidAt(macKey, next, position, hashLeaf(next.entry));
            return swapped
              ? fail('reordered', position, `events ${position} and ${position + 1} are swapped`)
              : fail(
                  'missing',
                  position,
                  `event ${position} was removed and later events renumbered`,
                );
          }
          if (macValidAt(macKey, row, position - 1, leaf))
            return fail('reordered', position, `event ${position} is out of order`);
          return fail(
            'altered',
            position,
            `event ${position} was rewritten (its MAC does not verify)`,
          );
        }
        if (!columnsMatch(row))
          return fail(
            'altered',
            position,
            `event ${position}'s indexed columns disagree with its signed content`,
          );

        if (position >= pendingEnd) {
          const root = fromWorker ? ph.roots.get(position) : undefined;
          const checkpointInside =
            nextCheckpoint < checkpoints.length &&
            Number(checkpoints[nextCheckpoint]!.size) < position + chunk;
          if (root !== undefined && !checkpointInside) {
            pendingRoot = root;
            pendingEnd = position + chunk;
          } else {
            tree.push(Buffer.from(leaf));
          }
        }
        position++;
        if (position === pendingEnd && pendingRoot !== null) {
          tree.pushSubtree(pendingRoot, chunkLevel);
          pendingRoot = null;
        }
        while (
          nextCheckpoint < checkpoints.length &&
          Number(checkpoints[nextCheckpoint]!.size) === position
        ) {
          const c = checkpoints[nextCheckpoint]!;
          if (!tree.root().equals(c.root)) {
            return fail(
              'rewritten',
              lastGood,
              `the log no longer matches the signed checkpoint at size ${c.size}; history after event ${lastGood - 1} cannot be vouched for (last matching checkpoint: size ${lastGood})`,
            );
          }
          lastGood = position;
          nextCheckpoint++;
        }
      }
      page = nextPage;
      pageHashes = nextHashes;
    }
    return finish(tree, position);
  }

  function finish(tree: TreeBuilder, position: number): VerifyResult {
    // Checkpoint at size 0 is trivially fine; any checkpoint beyond the end means the tail was cut.
    const beyond = checkpoints.find((c) => Number(c.size) > position);
    if (beyond)
      return fail(
        'missing',
        position,
        `the log ends at ${position} events but a checkpoint signed ${beyond.size}`,
      );
    if (position < headSize)
      return fail(
        'missing',
        position,
        `the log ends at ${position} events but its head records ${headSize}`,
      );
    if (position > headSize)
      return fail(
        'altered',
        headSize,
        `events beyond the recorded head (${headSize}) were inserted`,
      );
    return {
      ok: true,
      size: position,
      root: tree.root().toString('hex'),
      checkpointsChecked: checkpoints.length,
    };
  }
}
