import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AsyncNodeSource,
  type CompletedNode,
  type NodeSource,
  EMPTY_ROOT,
  appendToFrontier,
  checkConsistency,
  checkInclusion,
  checkSubtreeConsistency,
  checkSubtreeInclusion,
  consistencyProof,
  consistencyProofAsync,
  decodeFrontier,
  encodeFrontier,
  hashChildren,
  hashLeaf,
  inclusionProof,
  inclusionProofAsync,
  isValidSubtree,
  nodesForConsistency,
  nodesForInclusion,
  nodesForSubtree,
  rootFromFrontier,
  rootFromInclusionProof,
  rootFromLeafHashes,
  subtreeRoot,
  subtreeRootAsync,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from './merkle.js';

// ---------------------------------------------------------------------------------------------
// Helpers, and an independent reference: RFC 9162 §2.1's recursive definitions, transcribed.
// ---------------------------------------------------------------------------------------------

function at<T>(arr: readonly T[], i: number): T {
  const v = arr[i];
  if (v === undefined) throw new Error(`index ${i} out of range (length ${arr.length})`);
  return v;
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

function flipBit(buf: Uint8Array, bit: number): Buffer {
  const out = Buffer.from(buf);
  const byte = out[bit >> 3];
  if (byte === undefined) throw new Error(`bit ${bit} is beyond ${out.length} bytes`);
  out[bit >> 3] = byte ^ (1 << (bit & 7));
  return out;
}

/** Largest power of two strictly smaller than n (RFC 9162 §2.1.1's k), for n > 1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Each reference works on the range d[lo:hi] of one array; MTH results are memoised per array so
// that the exhaustive loops stay fast without changing what is computed.
const mthMemo = new WeakMap<readonly Buffer[], Map<string, Buffer>>();

/** MTH(D[lo:hi]) over leaf hashes (RFC 9162 §2.1.1). */
function refMth(d: readonly Buffer[], lo = 0, hi = d.length): Buffer {
  const n = hi - lo;
  if (n === 0) return sha256();
  if (n === 1) return at(d, lo);
  const memo = mthMemo.get(d) ?? new Map<string, Buffer>();
  mthMemo.set(d, memo);
  const cached = memo.get(`${lo}:${hi}`);
  if (cached !== undefined) return cached;
  const k = splitPoint(n);
  const h = sha256(Buffer.from([1]), refMth(d, lo, lo + k), refMth(d, lo + k, hi));
  memo.set(`${lo}:${hi}`, h);
  return h;
}

/** PATH(m, D[lo:hi]) (RFC 9162 §2.1.3.1). */
function refPath(m: number, d: readonly Buffer[], lo = 0, hi = d.length): Buffer[] {
  if (hi - lo <= 1) return [];
  const k = splitPoint(hi - lo);
  return m < k
    ? [...refPath(m, d, lo, lo + k), refMth(d, lo + k, hi)]
    : [...refPath(m - k, d, lo + k, hi), refMth(d, lo, lo + k)];
}

/**
 * SUBPROOF generalised from the old tree D[0:m] to any valid subtree [start, end) of D[lo:hi]
 * (offsets relative to lo): a subtree wholly on one side keeps the flag b (the verifier still knows
 * its hash); one spanning both sides starts at 0 and turns b off, as RFC 9162 §2.1.4.1 does for m > k.
 */
function refSubtreeProof(
  start: number,
  end: number,
  d: readonly Buffer[],
  lo = 0,
  hi = d.length,
  b = true,
): Buffer[] {
  const n = hi - lo;
  if (start === end) return [];
  if (start === 0 && end === n) return b ? [] : [refMth(d, lo, hi)];
  const k = splitPoint(n);
  if (end <= k) return [...refSubtreeProof(start, end, d, lo, lo + k, b), refMth(d, lo + k, hi)];
  if (start >= k) {
    return [...refSubtreeProof(start - k, end - k, d, lo + k, hi, b), refMth(d, lo, lo + k)];
  }
  return [...refSubtreeProof(0, end - k, d, lo + k, hi, false), refMth(d, lo, lo + k)];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 9162 §2.1.4.1). */
const refConsistency = (m: number, d: readonly Buffer[], n: number): Buffer[] =>
  refSubtreeProof(0, m, d, 0, n);

/** Every perfect node of a leaf array, level by level: serves any prefix tree's proofs. */
function perfectStore(leaves: readonly Buffer[]): NodeSource {
  const levels: Buffer[][] = [leaves.slice()];
  for (let cur = leaves.slice(); cur.length > 1;) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < cur.length; i += 2) next.push(hashChildren(at(cur, i), at(cur, i + 1)));
    levels.push(next);
    cur = next;
  }
  return (level, index) => {
    const h = levels[level]?.[index];
    if (h === undefined) throw new Error(`no perfect node ${level}/${index}`);
    return h;
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hexAll = (bs: readonly Uint8Array[]): string[] => bs.map(hex);

const N_LEAVES = 2000;
const LEAVES = Array.from({ length: N_LEAVES }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
const OTHER = Array.from({ length: N_LEAVES }, (_, i) => hashLeaf(Buffer.from(`other ${i}`)));
const STORE = perfectStore(LEAVES);
const OTHER_STORE = perfectStore(OTHER);
/** ROOTS[n] = MTH of the first n leaves, from the frontier (cross-checked against the reference). */
const ROOTS: Buffer[] = [];
{
  let frontier: Buffer[] = [];
  ROOTS.push(rootFromFrontier(frontier));
  LEAVES.forEach((leaf, size) => {
    frontier = appendToFrontier(frontier, size, leaf).frontier;
    ROOTS.push(rootFromFrontier(frontier));
  });
}
const root = (n: number): Buffer => at(ROOTS, n);

// RFC 6962 §2.1.3 / transparency-dev's test leaves, whose 8-leaf root is in inclusion/1/happy-path.
const RFC_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => hashLeaf(Buffer.from(h, 'hex')));
const RFC_ROOT_8 = '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328';

// ---------------------------------------------------------------------------------------------
// 1. Golden vectors: transparency-dev/merkle testdata (commit 417fb0c31475).
// ---------------------------------------------------------------------------------------------

const VECTORS_DIR = path.resolve(import.meta.dirname, '../../../shared/testdata/merkle');
const KINDS = ['inclusion', 'consistency', 'subtreeinclusion', 'subtreeconsistency'] as const;
type Kind = (typeof KINDS)[number];
const isKind = (s: string): s is Kind => (KINDS as readonly string[]).includes(s);

type Json = Record<string, unknown>;
/** Integers of 16+ digits become strings before JSON.parse, so none is silently rounded. */
function parseVector(text: string): Json {
  const parsed: unknown = JSON.parse(text.replace(/(:\s*)(\d{16,})(?=\s*[,}])/g, '$1"$2"'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('vector is not a JSON object');
  }
  return Object.fromEntries(Object.entries(parsed));
}

interface VectorInt {
  value: number;
  /** The exact value exceeds 2^53 - 1: a `number` cannot hold it, so the verifier must refuse. */
  unsafe: boolean;
}
function int(v: Json, field: string): VectorInt {
  const x = v[field];
  if (typeof x === 'number' && Number.isInteger(x)) {
    return { value: x, unsafe: !Number.isSafeInteger(x) };
  }
  if (typeof x === 'string' && /^\d+$/.test(x)) {
    // Number() rounds (2^64 - 1 becomes 2^64): the result is an unsafe number, never a small one.
    return { value: Number(x), unsafe: BigInt(x) > BigInt(Number.MAX_SAFE_INTEGER) };
  }
  throw new Error(`field ${field} is not an integer: ${String(x)}`);
}
function bytes(v: Json, field: string): Buffer {
  const x = v[field];
  if (typeof x !== 'string') throw new Error(`field ${field} is not base64`);
  return Buffer.from(x, 'base64');
}
/** A JSON null proof is Go's nil slice: an empty proof. */
function proofOf(v: Json): Buffer[] {
  const x = v.proof;
  if (x === null) return [];
  if (!Array.isArray(x)) throw new Error('proof is neither null nor an array');
  return x.map((h: unknown) => {
    if (typeof h !== 'string') throw new Error('proof element is not base64');
    return Buffer.from(h, 'base64');
  });
}

interface Outcome {
  reason: string | null;
  verified: boolean;
  unsafe: boolean;
}
function runVector(kind: Kind, v: Json): Outcome {
  const proof = proofOf(v);
  switch (kind) {
    case 'inclusion': {
      const [index, size] = [int(v, 'leafIdx'), int(v, 'treeSize')];
      const args = [
        bytes(v, 'leafHash'),
        index.value,
        size.value,
        proof,
        bytes(v, 'root'),
      ] as const;
      return {
        reason: checkInclusion(...args),
        verified: verifyInclusion(...args),
        unsafe: index.unsafe || size.unsafe,
      };
    }
    case 'subtreeinclusion': {
      const [index, start, end] = [int(v, 'leafIdx'), int(v, 'start'), int(v, 'end')];
      const args = [
        bytes(v, 'leafHash'),
        index.value,
        start.value,
        end.value,
        proof,
        bytes(v, 'root'),
      ] as const;
      return {
        reason: checkSubtreeInclusion(...args),
        verified: verifySubtreeInclusion(...args),
        unsafe: index.unsafe || start.unsafe || end.unsafe,
      };
    }
    case 'consistency': {
      const [size1, size2] = [int(v, 'size1'), int(v, 'size2')];
      const args = [size1.value, size2.value, proof, bytes(v, 'root1'), bytes(v, 'root2')] as const;
      return {
        reason: checkConsistency(...args),
        verified: verifyConsistency(...args),
        unsafe: size1.unsafe || size2.unsafe,
      };
    }
    case 'subtreeconsistency': {
      const [start, end, size] = [int(v, 'start'), int(v, 'end'), int(v, 'size')];
      const args = [
        start.value,
        end.value,
        size.value,
        proof,
        bytes(v, 'root1'),
        bytes(v, 'root2'),
      ] as const;
      return {
        reason: checkSubtreeConsistency(...args),
        verified: verifySubtreeConsistency(...args),
        unsafe: start.unsafe || end.unsafe || size.unsafe,
      };
    }
  }
}

interface VectorFile {
  name: string;
  kind: Kind;
  data: Json;
}
function loadVectors(): VectorFile[] {
  return readdirSync(VECTORS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => {
      const kind = name.split(path.sep)[0] ?? '';
      if (!isKind(kind)) throw new Error(`vector ${name} is in an unknown folder`);
      return { name, kind, data: parseVector(readFileSync(path.join(VECTORS_DIR, name), 'utf8')) };
    });
}

if (!existsSync(VECTORS_DIR)) {
  describe('transparency-dev Merkle vectors', () => {
    it(`are missing at ${VECTORS_DIR}: vector tests not run here (CI=true fails)`, () => {
      if (process.env.CI === 'true') {
        throw new Error(`Merkle vectors are required in CI but ${VECTORS_DIR} is missing`);
      }
    });
  });
} else {
  const vectors = loadVectors();

  describe('transparency-dev Merkle vectors', () => {
    it('cover all four proof kinds, each with happy paths and broken variants', () => {
      for (const kind of KINDS) {
        const ofKind = vectors.filter((v) => v.kind === kind);
        expect(ofKind.some((v) => v.data.wantErr === false)).toBe(true);
        expect(ofKind.some((v) => v.data.wantErr === true)).toBe(true);
      }
      expect(vectors.length).toBeGreaterThan(500);
      // Six leaf indexes of 2^64 - 1 (0 - 1 wrapped in Go) and one subtree end of 2^63 + 2.
      const unsafe = vectors.filter((v) => runVector(v.kind, v.data).unsafe);
      expect(unsafe.map((v) => v.name)).toHaveLength(7);
    });

    it.each(vectors)('$name', ({ kind, data }) => {
      const wantErr = data.wantErr;
      expect(typeof wantErr).toBe('boolean');
      const { reason, verified, unsafe } = runVector(kind, data);
      expect(verified, `reason: ${reason}`).toBe(!wantErr);
      expect(reason === null).toBe(verified);
      if (unsafe) {
        // Beyond 2^53 the number is rounded; the guard on safe integers must be what rejects it,
        // not an accident of the rounded value.
        expect(wantErr).toBe(true);
        expect(reason).toMatch(/safe integer/);
      }
    });

    it('the RFC 6962 leaves give the root of inclusion/1/happy-path.json', () => {
      const happy = vectors.find((v) => v.name === path.join('inclusion', '1', 'happy-path.json'));
      expect(happy).toBeDefined();
      if (happy === undefined) return;
      expect(hex(rootFromLeafHashes(RFC_LEAVES))).toBe(hex(bytes(happy.data, 'root')));
    });

    it('proofs generated from the RFC 6962 leaves equal every happy-path proof', () => {
      const rfc = perfectStore(RFC_LEAVES);
      const happy = vectors.filter((v) => v.name.endsWith(`${path.sep}happy-path.json`));
      let checked = 0;
      for (const { kind, data } of happy) {
        const proof = hexAll(proofOf(data));
        if (kind === 'inclusion') {
          const index = int(data, 'leafIdx').value;
          expect(hex(bytes(data, 'leafHash'))).toBe(hex(at(RFC_LEAVES, index)));
          expect(hexAll(inclusionProof(rfc, index, int(data, 'treeSize').value))).toEqual(proof);
          checked++;
        } else if (kind === 'consistency' || kind === 'subtreeconsistency') {
          const [from, to] =
            kind === 'consistency'
              ? [int(data, 'size1').value, int(data, 'size2').value]
              : [int(data, 'end').value, int(data, 'size').value];
          expect(hexAll(consistencyProof(rfc, from, to))).toEqual(proof);
          checked++;
        }
      }
      expect(checked).toBe(15);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Hashing basics and the RFC 6962 example tree.
// ---------------------------------------------------------------------------------------------

describe('hashing', () => {
  it('uses SHA-256 with 0x00 / 0x01 domain separation and SHA-256("") for the empty tree', () => {
    expect(hex(EMPTY_ROOT)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    const data = Buffer.from('custos');
    expect(hex(hashLeaf(data))).toBe(hex(sha256(Buffer.from([0]), data)));
    const [l, r] = [at(LEAVES, 0), at(LEAVES, 1)];
    expect(hex(hashChildren(l, r))).toBe(hex(sha256(Buffer.from([1]), l, r)));
    // Odd lengths take the general path and still hash the exact concatenation.
    expect(hex(hashChildren(Buffer.from('a'), Buffer.from('b')))).toBe(
      hex(sha256(Buffer.from('\x01ab', 'latin1'))),
    );
  });

  it('gives the RFC 6962 example tree root 5dc9da79... for the 8 test leaves', () => {
    expect(hex(rootFromLeafHashes(RFC_LEAVES))).toBe(RFC_ROOT_8);
    expect(hex(refMth(RFC_LEAVES))).toBe(RFC_ROOT_8);
  });

  it('rootFromLeafHashes equals the recursive MTH for every size up to 300', () => {
    expect(hex(rootFromLeafHashes([]))).toBe(hex(EMPTY_ROOT));
    for (let n = 0; n <= 300; n++) {
      const got = rootFromLeafHashes(LEAVES.slice(0, n));
      expect(hex(got)).toBe(hex(refMth(LEAVES, 0, n)));
      expect(hex(got)).toBe(hex(root(n)));
    }
    expect(hex(rootFromLeafHashes(LEAVES))).toBe(hex(root(N_LEAVES)));
  });

  it('rootFromLeafHashes refuses leaf hashes that are not 32 bytes, and leaves inputs intact', () => {
    expect(() => rootFromLeafHashes([at(LEAVES, 0), Buffer.alloc(31)])).toThrow(RangeError);
    const copy = LEAVES.slice(0, 5).map((b) => Buffer.from(b));
    rootFromLeafHashes(copy);
    expect(hexAll(copy)).toEqual(hexAll(LEAVES.slice(0, 5)));
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Exhaustive small trees.
// ---------------------------------------------------------------------------------------------

/** Two bit positions per proof hash: one that sweeps all 256 across cases, and the first or last. */
const sampleBits = (seed: number): number[] => [(seed * 37) % 256, seed % 2 === 0 ? 0 : 255];

describe('exhaustive proofs for every tree of 1..64 leaves', () => {
  it('every inclusion proof equals PATH, verifies, and fails with any sampled bit flipped', () => {
    for (let n = 1; n <= 64; n++) {
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(STORE, i, n);
        expect(hexAll(proof)).toEqual(hexAll(refPath(i, LEAVES, 0, n)));
        expect(verifyInclusion(at(LEAVES, i), i, n, proof, root(n))).toBe(true);
        expect(hex(rootFromInclusionProof(at(LEAVES, i), i, n, proof) ?? Buffer.alloc(0))).toBe(
          hex(root(n)),
        );
        proof.forEach((h, j) => {
          for (const bit of sampleBits(n * 64 + i + j)) {
            const bad = proof.map((p, k) => (k === j ? flipBit(h, bit) : p));
            expect(verifyInclusion(at(LEAVES, i), i, n, bad, root(n))).toBe(false);
          }
        });
        expect(verifyInclusion(flipBit(at(LEAVES, i), i % 256), i, n, proof, root(n))).toBe(false);
      }
    }
  });

  it('every consistency proof equals PROOF, verifies, and fails with any sampled bit flipped', () => {
    for (let n = 1; n <= 64; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(STORE, m, n);
        expect(hexAll(proof)).toEqual(hexAll(refConsistency(m, LEAVES, n)));
        expect(verifyConsistency(m, n, proof, root(m), root(n))).toBe(true);
        proof.forEach((h, j) => {
          for (const bit of sampleBits(n * 64 + m + j)) {
            const bad = proof.map((p, k) => (k === j ? flipBit(h, bit) : p));
            expect(verifyConsistency(m, n, bad, root(m), root(n))).toBe(false);
          }
        });
        if (m < n) {
          expect(verifyConsistency(m, n, proof, flipBit(root(m), 3), root(n))).toBe(false);
          expect(verifyConsistency(m, n, proof, root(m), flipBit(root(n), 3))).toBe(false);
        }
      }
    }
  });

  it('subtree inclusion and consistency verify for every valid subtree of trees up to 40', () => {
    let subtrees = 0;
    for (let size = 1; size <= 40; size++) {
      for (let start = 0; start <= size; start++) {
        for (let end = start; end <= size; end++) {
          if (!isValidSubtree(start, end)) continue;
          subtrees++;
          const subRoot = refMth(LEAVES, start, end);
          if (end > start) expect(hex(subtreeRoot(STORE, start, end))).toBe(hex(subRoot));
          const proof = refSubtreeProof(start, end, LEAVES, 0, size);
          expect(verifySubtreeConsistency(start, end, size, proof, subRoot, root(size))).toBe(true);
          proof.forEach((h, j) => {
            const bad = proof.map((p, k) => (k === j ? flipBit(h, (j * 7) % 256) : p));
            expect(verifySubtreeConsistency(start, end, size, bad, subRoot, root(size))).toBe(
              false,
            );
          });
          const wrongSub = flipBit(subRoot, 9);
          expect(verifySubtreeConsistency(start, end, size, proof, wrongSub, root(size))).toBe(
            false,
          );
          // An empty subtree proves nothing about the tree, so only there the tree root is free.
          const wrongRoot = flipBit(root(size), 9);
          expect(verifySubtreeConsistency(start, end, size, proof, subRoot, wrongRoot)).toBe(
            start === end,
          );
          if (end !== size) continue; // Subtree inclusion does not depend on the tree size.
          for (let i = start; i < end; i++) {
            const incl = refPath(i - start, LEAVES, start, end);
            expect(verifySubtreeInclusion(at(LEAVES, i), i, start, end, incl, subRoot)).toBe(true);
            expect(verifySubtreeInclusion(at(LEAVES, i), i, start, end, incl, wrongSub)).toBe(
              false,
            );
          }
        }
      }
    }
    expect(subtrees).toBeGreaterThan(400);
  });

  it('nodesForSubtree splits a valid subtree into aligned perfect nodes and refuses others', () => {
    expect(nodesForSubtree(8, 13)).toEqual([
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(nodesForSubtree(0, 7)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    expect(nodesForSubtree(5, 5)).toEqual([]);
    expect(hex(subtreeRoot(STORE, 5, 5))).toBe(hex(EMPTY_ROOT));
    for (const [s, e] of [
      [1, 3],
      [2, 5],
      [2, 6],
      [1, 15],
      [3, 2],
      [-1, 2],
      [0.5, 2],
    ] as const) {
      expect(isValidSubtree(s, e)).toBe(false);
      expect(() => nodesForSubtree(s, e)).toThrow(RangeError);
    }
    expect(isValidSubtree(8, 13)).toBe(true);
    expect(isValidSubtree(2 ** 52, 2 ** 52 + 2 ** 51)).toBe(true);
    // 2^53 itself is not a safe integer: a tree that large is refused, not rounded.
    expect(isValidSubtree(2 ** 52, 2 ** 53)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. The frontier (compact range) of an append-only log, and proofs from its stored nodes.
// ---------------------------------------------------------------------------------------------

describe('frontier', () => {
  const SIZE = 200;
  const stored = new Map<string, Buffer>();
  let completedCount = 0;
  const frontiers: Buffer[][] = [[]];
  {
    let frontier: Buffer[] = [];
    for (let size = 0; size < SIZE; size++) {
      const leaf = at(LEAVES, size);
      stored.set(`0/${size}`, leaf);
      const step = appendToFrontier(frontier, size, leaf);
      for (const node of step.completed) {
        stored.set(`${node.level}/${node.index}`, node.hash);
        completedCount++;
      }
      frontier = step.frontier;
      frontiers.push(frontier);
    }
  }
  /** Serves only nodes already completed at tree size `size`, as the audit log's store would. */
  const sourceAt =
    (size: number): NodeSource =>
    (level, index) => {
      if ((index + 1) * 2 ** level > size) throw new Error(`${level}/${index} is not complete`);
      const h = stored.get(`${level}/${index}`);
      if (h === undefined) throw new Error(`${level}/${index} was never stored`);
      return h;
    };

  it('appending leaves one by one gives rootFromLeafHashes for every size up to 200', () => {
    expect(hex(rootFromFrontier([]))).toBe(hex(EMPTY_ROOT));
    frontiers.forEach((frontier, size) => {
      expect(hex(rootFromFrontier(frontier))).toBe(hex(rootFromLeafHashes(LEAVES.slice(0, size))));
      expect(frontier.length).toBe(size.toString(2).replaceAll('0', '').length);
    });
  });

  it('reports every new perfect node of level >= 1 exactly once, with its true hash', () => {
    let expected = 0;
    for (let level = 1; 2 ** level <= SIZE; level++) expected += Math.floor(SIZE / 2 ** level);
    expect(completedCount).toBe(expected);
    expect(stored.size).toBe(SIZE + expected);
    for (const [key, hash] of stored) {
      const [level = -1, index = -1] = key.split('/').map(Number);
      expect((index + 1) * 2 ** level).toBeLessThanOrEqual(SIZE);
      expect(hex(hash)).toBe(hex(refMth(LEAVES, index * 2 ** level, (index + 1) * 2 ** level)));
    }
    const seven = appendToFrontier(at(frontiers, 7), 7, at(LEAVES, 7));
    expect(seven.completed.map(({ level, index }: CompletedNode) => [level, index])).toEqual([
      [1, 3],
      [2, 1],
      [3, 0],
    ]);
    expect(seven.frontier.length).toBe(1);
  });

  it('proofs built from the stored nodes equal the in-memory reference at every size', () => {
    for (let n = 1; n <= SIZE; n++) {
      const get = sourceAt(n);
      expect(hex(subtreeRoot(get, 0, n))).toBe(hex(refMth(LEAVES, 0, n)));
      for (const i of new Set([0, n >> 1, n - 1, (n * 7 + 3) % n])) {
        expect(hexAll(inclusionProof(get, i, n))).toEqual(hexAll(refPath(i, LEAVES, 0, n)));
      }
      for (const m of new Set([1, n >> 1 || 1, n - 1 || 1, n])) {
        expect(hexAll(consistencyProof(get, m, n))).toEqual(hexAll(refConsistency(m, LEAVES, n)));
      }
    }
  });

  it('encodes as concatenated hashes and decodes back; refuses ragged input', () => {
    for (const frontier of frontiers) {
      const encoded = encodeFrontier(frontier);
      expect(encoded.length).toBe(32 * frontier.length);
      expect(hexAll(decodeFrontier(encoded))).toEqual(hexAll(frontier));
    }
    expect(decodeFrontier(Buffer.alloc(0))).toEqual([]);
    for (const length of [1, 31, 33, 65]) {
      expect(() => decodeFrontier(Buffer.alloc(length))).toThrow(RangeError);
    }
    expect(() => encodeFrontier([Buffer.alloc(31)])).toThrow(RangeError);
  });

  it('refuses a frontier that does not match the size, and bad leaves', () => {
    const f3 = at(frontiers, 3);
    expect(() => appendToFrontier(f3, 4, at(LEAVES, 4))).toThrow(RangeError);
    expect(() => appendToFrontier(f3, 2, at(LEAVES, 2))).toThrow(RangeError);
    expect(() => appendToFrontier(f3, -1, at(LEAVES, 3))).toThrow(RangeError);
    expect(() => appendToFrontier(f3, 3, Buffer.alloc(5))).toThrow(RangeError);
    expect(() => appendToFrontier([Buffer.alloc(3), at(LEAVES, 2)], 3, at(LEAVES, 3))).toThrow(
      RangeError,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Planners and the asynchronous path.
// ---------------------------------------------------------------------------------------------

describe('planners and async sources', () => {
  const counting = () => {
    const calls: string[] = [];
    const get: AsyncNodeSource = async (level, index) => {
      calls.push(`${level}/${index}`);
      await Promise.resolve();
      return STORE(level, index);
    };
    return { calls, get };
  };

  it('async proofs equal sync ones and fetch exactly the planned nodes, once each', async () => {
    for (const [i, n] of [
      [0, 1],
      [5, 13],
      [12, 13],
      [999, 1999],
      [0, 2000],
      [1234, 1777],
    ] as const) {
      const { calls, get } = counting();
      const proof = await inclusionProofAsync(get, i, n);
      expect(hexAll(proof)).toEqual(hexAll(inclusionProof(STORE, i, n)));
      const planned = nodesForInclusion(i, n).map(({ level, index }) => `${level}/${index}`);
      expect(calls.sort()).toEqual([...planned].sort());
      expect(new Set(planned).size).toBe(planned.length);
    }
    for (const [m, n] of [
      [1, 1],
      [3, 7],
      [4, 8],
      [1000, 1999],
      [1536, 2000],
    ] as const) {
      const { calls, get } = counting();
      const proof = await consistencyProofAsync(get, m, n);
      expect(hexAll(proof)).toEqual(hexAll(consistencyProof(STORE, m, n)));
      const planned = nodesForConsistency(m, n).map(({ level, index }) => `${level}/${index}`);
      expect(calls.sort()).toEqual([...planned].sort());
    }
    const { calls, get } = counting();
    expect(hex(await subtreeRootAsync(get, 1024, 1999))).toBe(hex(subtreeRoot(STORE, 1024, 1999)));
    expect(calls.length).toBe(nodesForSubtree(1024, 1999).length);
  });

  it('plans O(log n) nodes even for sizes near 2^53', () => {
    const big = 2 ** 53 - 1;
    expect(nodesForInclusion(big - 1, big).length).toBeLessThanOrEqual(53 * 2);
    expect(nodesForInclusion(0, big).length).toBeLessThanOrEqual(53 * 2);
    expect(nodesForConsistency(2 ** 40 + 3, big).length).toBeLessThanOrEqual(53 * 3);
  });

  it('refuses impossible proof requests with RangeError', () => {
    expect(() => nodesForInclusion(3, 3)).toThrow(RangeError);
    expect(() => nodesForInclusion(-1, 3)).toThrow(RangeError);
    expect(() => nodesForInclusion(0, 2 ** 53)).toThrow(RangeError);
    expect(() => nodesForInclusion(Number.NaN, 3)).toThrow(RangeError);
    expect(() => nodesForConsistency(0, 3)).toThrow(RangeError);
    expect(() => nodesForConsistency(4, 3)).toThrow(RangeError);
    expect(() => inclusionProof(STORE, 0, 0)).toThrow(RangeError);
    expect(nodesForConsistency(5, 5)).toEqual([]);
  });

  it('refuses a node source that returns something other than a 32-byte hash', async () => {
    expect(() => inclusionProof(() => Buffer.alloc(3), 0, 2)).toThrow(/32-byte/);
    await expect(
      inclusionProofAsync(() => Promise.reject(new Error('db down')), 0, 2),
    ).rejects.toThrow('db down');
  });
});

// ---------------------------------------------------------------------------------------------
// Verifiers never throw.
// ---------------------------------------------------------------------------------------------

describe('verifiers on hostile input', () => {
  it('return false, never throw, for malformed numbers, hashes and proofs', () => {
    const leaf = at(LEAVES, 0);
    const proof = inclusionProof(STORE, 0, 5);
    const badNumbers = [-1, 0.5, Number.NaN, Infinity, 2 ** 53, 2 ** 64, -0.0001];
    for (const bad of badNumbers) {
      expect(verifyInclusion(leaf, bad, 5, proof, root(5))).toBe(false);
      expect(verifyInclusion(leaf, 0, bad, proof, root(5))).toBe(false);
      expect(verifyConsistency(bad, 5, [], root(5), root(5))).toBe(false);
      expect(verifyConsistency(2, bad, [], root(2), root(5))).toBe(false);
      expect(verifySubtreeInclusion(leaf, 0, 0, bad, proof, root(5))).toBe(false);
      expect(verifySubtreeConsistency(0, 2, bad, [], root(2), root(5))).toBe(false);
    }
    const hostile: unknown[] = [null, undefined, 'abc', 5, {}, [null], [Buffer.alloc(32), 'x']];
    for (const h of hostile) {
      const asProof = h as readonly Uint8Array[];
      const asHash = h as Uint8Array;
      expect(verifyInclusion(leaf, 0, 5, asProof, root(5))).toBe(false);
      expect(verifyInclusion(asHash, 0, 5, proof, root(5))).toBe(false);
      expect(verifyInclusion(leaf, 0, 5, proof, asHash)).toBe(false);
      expect(verifyConsistency(2, 5, asProof, root(2), root(5))).toBe(false);
      expect(verifyConsistency(2, 5, consistencyProof(STORE, 2, 5), asHash, root(5))).toBe(false);
      expect(verifySubtreeConsistency(4, 6, 9, asProof, root(2), root(9))).toBe(false);
      expect(rootFromInclusionProof(leaf, 0, 5, asProof)).toBeNull();
    }
    expect(verifyInclusion(leaf, 0, 5, [...proof, ...proof, ...proof], root(5))).toBe(false);
    expect(
      verifyInclusion(
        leaf,
        0,
        5,
        Array.from({ length: 10_000 }, () => leaf),
        root(5),
      ),
    ).toBe(false);
  });

  it('treat a consistency check from the empty tree as meaningless, like transparency-dev', () => {
    expect(verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(0, 5, [], EMPTY_ROOT, root(5))).toBe(false);
    expect(checkConsistency(0, 5, [], EMPTY_ROOT, root(5))).toMatch(/empty tree/);
    // The subtree form does accept the empty subtree, with the empty-tree hash and no proof.
    expect(verifySubtreeConsistency(0, 0, 5, [], EMPTY_ROOT, root(5))).toBe(true);
    expect(verifySubtreeConsistency(0, 0, 5, [], root(5), root(5))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Properties with an adversarial prover (fixed seed).
// ---------------------------------------------------------------------------------------------

const SEED = 0x5eed;
const sizeAndIndex = fc
  .tuple(fc.integer({ min: 1, max: N_LEAVES }), fc.nat())
  .map(([size, r]) => ({ size, index: r % size }));
const twoSizes = fc
  .tuple(fc.integer({ min: 1, max: N_LEAVES }), fc.nat())
  .map(([to, r]) => ({ to, from: 1 + (r % to) }));
const randomHash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));

describe('properties (fast-check, fixed seed)', () => {
  it('inclusion proofs verify; proofs for another index, tree or length are refused', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), randomHash, ({ size, index }, r, junk) => {
        const leaf = at(LEAVES, index);
        const proof = inclusionProof(STORE, index, size);
        expect(verifyInclusion(leaf, index, size, proof, root(size))).toBe(true);
        if (size > 1) {
          const other = (index + 1 + (r % (size - 1))) % size;
          const otherProof = inclusionProof(STORE, other, size);
          expect(verifyInclusion(leaf, other, size, proof, root(size))).toBe(false);
          expect(verifyInclusion(leaf, index, size, otherProof, root(size))).toBe(false);
          expect(verifyInclusion(at(LEAVES, other), index, size, proof, root(size))).toBe(false);
          const foreign = inclusionProof(OTHER_STORE, index, size);
          expect(verifyInclusion(leaf, index, size, foreign, root(size))).toBe(false);
          expect(verifyInclusion(leaf, index, size, proof.slice(0, -1), root(size))).toBe(false);
          expect(verifyInclusion(leaf, index, size, proof.slice(1), root(size))).toBe(false);
        }
        expect(verifyInclusion(leaf, index, size, [...proof, junk], root(size))).toBe(false);
        expect(verifyInclusion(leaf, index, size, [junk, ...proof], root(size))).toBe(false);
        expect(verifyInclusion(leaf, index, size, proof, at(OTHER, 0))).toBe(false);
        expect(verifyInclusion(junk, index, size, proof, root(size))).toBe(false);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('consistency proofs verify; swapped roots, other trees, other sizes and edits are refused', () => {
    fc.assert(
      fc.property(twoSizes, randomHash, ({ from, to }, junk) => {
        const proof = consistencyProof(STORE, from, to);
        expect(verifyConsistency(from, to, proof, root(from), root(to))).toBe(true);
        if (from === to) {
          expect(proof).toEqual([]);
          expect(verifyConsistency(from, to, [junk], root(from), root(to))).toBe(false);
          return;
        }
        expect(verifyConsistency(from, to, proof, root(to), root(from))).toBe(false);
        const foreign = consistencyProof(OTHER_STORE, from, to);
        expect(verifyConsistency(from, to, foreign, root(from), root(to))).toBe(false);
        const otherRoots = [rootFromLeafHashes(OTHER.slice(0, from)), root(to)] as const;
        expect(verifyConsistency(from, to, proof, ...otherRoots)).toBe(false);
        if (from > 1)
          expect(verifyConsistency(from - 1, to, proof, root(from), root(to))).toBe(false);
        if (from + 1 < to) {
          expect(verifyConsistency(from + 1, to, proof, root(from), root(to))).toBe(false);
        }
        expect(verifyConsistency(from, to, proof.slice(0, -1), root(from), root(to))).toBe(false);
        expect(verifyConsistency(from, to, [...proof, junk], root(from), root(to))).toBe(false);
        expect(verifyConsistency(from, to, [junk, ...proof], root(from), root(to))).toBe(false);
        expect(verifyConsistency(from, to, [], root(from), root(to))).toBe(false);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('subtree proofs verify and are refused against the wrong subtree or tree', () => {
    const subtree = fc
      .tuple(fc.integer({ min: 1, max: N_LEAVES }), fc.nat(), fc.nat(), fc.nat())
      .map(([size, a, b, c]) => {
        const length = 1 + (a % size);
        const align = 2 ** Math.ceil(Math.log2(length));
        const start = align * (b % (Math.floor((size - length) / align) + 1));
        return { size, start, end: start + length, index: start + (c % length) };
      });
    fc.assert(
      fc.property(subtree, ({ size, start, end, index }) => {
        expect(isValidSubtree(start, end)).toBe(true);
        const subRoot = subtreeRoot(STORE, start, end);
        const shifted: NodeSource = (level, i) => STORE(level, i + start / 2 ** level);
        const incl = inclusionProof(shifted, index - start, end - start);
        const leaf = at(LEAVES, index);
        expect(verifySubtreeInclusion(leaf, index, start, end, incl, subRoot)).toBe(true);
        expect(verifySubtreeInclusion(leaf, index, start, end, incl, root(size))).toBe(
          start === 0 && end === size,
        );
        if (end - start > 1) {
          const next = index + 1 < end ? index + 1 : start;
          expect(verifySubtreeInclusion(leaf, next, start, end, incl, subRoot)).toBe(false);
        }
        const proof = refSubtreeProof(start, end, LEAVES, 0, size);
        expect(verifySubtreeConsistency(start, end, size, proof, subRoot, root(size))).toBe(true);
        const sub2 = flipBit(subRoot, 17);
        expect(verifySubtreeConsistency(start, end, size, proof, sub2, root(size))).toBe(false);
        const foreign = refSubtreeProof(start, end, OTHER, 0, size);
        if (proof.length > 0) {
          expect(verifySubtreeConsistency(start, end, size, foreign, subRoot, root(size))).toBe(
            false,
          );
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
