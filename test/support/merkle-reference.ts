// The shared reference for the Merkle tests: an independent transcription of RFC 9162 §2.1's
// recursive definitions (MTH, PATH, SUBPROOF), a store of every perfect node, and the fixed leaf
// sets, roots and RFC 6962 example leaves that src/audit/merkle*.test.ts check against.
import { createHash } from 'node:crypto';
import {
  type NodeSource,
  appendToFrontier,
  hashChildren,
  hashLeaf,
  rootFromFrontier,
} from '../../src/audit/merkle.js';

export function at<T>(arr: readonly T[], i: number): T {
  const v = arr[i];
  if (v === undefined) throw new Error(`index ${i} out of range (length ${arr.length})`);
  return v;
}

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

export function flipBit(buf: Uint8Array, bit: number): Buffer {
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
export function refMth(d: readonly Buffer[], lo = 0, hi = d.length): Buffer {
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
export function refPath(m: number, d: readonly Buffer[], lo = 0, hi = d.length): Buffer[] {
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
export function refSubtreeProof(
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
export const refConsistency = (m: number, d: readonly Buffer[], n: number): Buffer[] =>
  refSubtreeProof(0, m, d, 0, n);

/** Every perfect node of a leaf array, level by level: serves any prefix tree's proofs. */
export function perfectStore(leaves: readonly Buffer[]): NodeSource {
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

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const hexAll = (bs: readonly Uint8Array[]): string[] => bs.map(hex);

export const N_LEAVES = 2000;
export const LEAVES = Array.from({ length: N_LEAVES }, (_, i) =>
  hashLeaf(Buffer.from(`leaf ${i}`)),
);
export const OTHER = Array.from({ length: N_LEAVES }, (_, i) =>
  hashLeaf(Buffer.from(`other ${i}`)),
);
export const STORE = perfectStore(LEAVES);
export const OTHER_STORE = perfectStore(OTHER);
/** ROOTS[n] = MTH of the first n leaves, from the frontier (cross-checked against the reference). */
export const ROOTS: Buffer[] = [];
{
  let frontier: Buffer[] = [];
  ROOTS.push(rootFromFrontier(frontier));
  LEAVES.forEach((leaf, size) => {
    frontier = appendToFrontier(frontier, size, leaf).frontier;
    ROOTS.push(rootFromFrontier(frontier));
  });
}
export const root = (n: number): Buffer => at(ROOTS, n);

// RFC 6962 §2.1.3 / transparency-dev's test leaves, whose 8-leaf root is in inclusion/1/happy-path.
export const RFC_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => hashLeaf(Buffer.from(h, 'hex')));
export const RFC_ROOT_8 = '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328';
