// Hashing for audit verification spread over worker threads. Verifying a log is one SHA-256 per
// leaf, one per internal node and two per event MAC; in Node each of those small hashes costs
// mostly the call, not the bytes, so a single thread tops out well below the raw hashing rate.
// Workers take chunks of consecutive events and return, per chunk, every leaf hash, every
// expected MAC and — when the chunk is a perfect subtree — its root, so the main thread only
// compares and folds. Results are exactly those of hashLeaf / eventMac / rootFromLeafHashes
// (tested against them); the main thread still decides every verdict.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const HASH = 32;

/** What a worker computes for one chunk. */
export interface ChunkHashes {
  /** n leaf hashes, 32 bytes each, back to back. */
  leaves: Buffer;
  /** n MACs of (position, leaf) for positions first, first + 1, …, 32 bytes each (empty when not asked for). */
  macs: Buffer;
  /** Root of the chunk's leaves (RFC 9162 MTH over them). */
  root: Buffer;
}

// The worker is plain CommonJS evaluated from this string: it then runs unchanged under tsx,
// vitest and the compiled build, with nothing to resolve but node's own modules.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const key = Buffer.from(workerData.macKey);
const block = Buffer.alloc(64);
(key.length > 64 ? hash('sha256', key, 'buffer') : key).copy(block);
const ipad = Buffer.alloc(64), opad = Buffer.alloc(64);
for (let i = 0; i < 64; i++) { ipad[i] = block[i] ^ 0x36; opad[i] = block[i] ^ 0x5c; }
const inner = Buffer.alloc(64 + 8 + 32), outer = Buffer.alloc(64 + 32), node = Buffer.alloc(65);
ipad.copy(inner, 0); opad.copy(outer, 0); node[0] = 1;
parentPort.on('message', (m) => {
  // m.data holds 0x00 || entry for each event; m.ends[i] is where event i's bytes end.
  const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const n = m.ends.length;
  // Buffer.alloc never draws from the shared pool, so these buffers can be moved to the parent.
  const leaves = Buffer.alloc(n * 32), macs = Buffer.alloc(m.macs ? n * 32 : 0);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = m.ends[i];
    hash('sha256', data.subarray(start, end), 'buffer').copy(leaves, i * 32);
    start = end;
    if (!m.macs) continue;
    inner.writeBigUInt64BE(BigInt(m.first + i), 64);
    leaves.copy(inner, 72, i * 32, i * 32 + 32);
    hash('sha256', inner, 'buffer').copy(outer, 64);
    hash('sha256', outer, 'buffer').copy(macs, i * 32);
  }
  const level = Buffer.from(leaves);
  for (let w = n; w > 1; w = Math.ceil(w / 2)) {
    for (let j = 0; 2 * j + 1 < w; j++) {
      level.copy(node, 1, 2 * j * 32, 2 * j * 32 + 64);
      hash('sha256', node, 'buffer').copy(level, j * 32);
    }
    if (w % 2 === 1) level.copy(level, ((w - 1) / 2) * 32, (w - 1) * 32, w * 32);
  }
  const root = n === 0 ? hash('sha256', Buffer.alloc(0), 'buffer') : level.subarray(0, 32);
  const out = { id: m.id, leaves, macs, root: new Uint8Array(root) };
  parentPort.postMessage(out, n > 0 ? (m.macs ? [leaves.buffer, macs.buffer] : [leaves.buffer]) : []);
});
`;

export interface HashPool {
  /** Hashes `entries` as the events at positions first, first + 1, …; MACs too unless told not to. */
  hashChunk(
    entries: readonly Uint8Array[],
    first: number,
    options?: { macs?: boolean },
  ): Promise<ChunkHashes>;
  close(): Promise<void>;
}

/** Worker threads worth starting on this machine (none on a single core). */
export const defaultWorkers = (): number => Math.min(4, availableParallelism());

export function createHashPool(macKey: Buffer, size: number): HashPool {
  const workers = Array.from(
    { length: size },
    () => new Worker(WORKER_SOURCE, { eval: true, workerData: { macKey } }),
  );
  const waiting = new Map<
    number,
    { resolve: (r: ChunkHashes) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let turn = 0;
  for (const w of workers) {
    w.on('message', (m: { id: number; leaves: Uint8Array; macs: Uint8Array; root: Uint8Array }) => {
      const job = waiting.get(m.id);
      waiting.delete(m.id);
      job?.resolve({
        leaves: Buffer.from(m.leaves.buffer, m.leaves.byteOffset, m.leaves.byteLength),
        macs: Buffer.from(m.macs.buffer, m.macs.byteOffset, m.macs.byteLength),
        root: Buffer.from(m.root.buffer, m.root.byteOffset, m.root.byteLength),
      });
    });
    w.on('error', (error) => {
      for (const job of waiting.values()) job.reject(error);
      waiting.clear();
    });
  }
  return {
    hashChunk(entries, first, options = {}) {
      let total = 0;
      for (const e of entries) total += 1 + e.length;
      // One buffer per chunk, moved (not copied) to the worker: 0x00 || entry, back to back.
      const data = new Uint8Array(total);
      const ends = new Uint32Array(entries.length);
      let at = 0;
      entries.forEach((e, i) => {
        data[at] = 0x00;
        data.set(e, at + 1);
        at += 1 + e.length;
        ends[i] = at;
      });
      const id = nextId++;
      const worker = workers[turn++ % workers.length]!;
      return new Promise<ChunkHashes>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, data, ends, first, macs: options.macs !== false }, [
          data.buffer,
          ends.buffer,
        ]);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

export const CHUNK_HASH_SIZE = HASH;
