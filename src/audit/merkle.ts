// Merkle tree hashing, proofs and verification for the append-only audit log: RFC 9162 §2.1 (the
// same as RFC 6962 §2.1 for SHA-256), plus transparency-dev/merkle's subtree proof verification.
// Sizes and indexes are numbers, exact up to 2^53; JS bit operators stop at 32 bits, so powers of
// two and base-2 strings stand in for them.
import { hash } from 'node:crypto';

const HASH_SIZE = 32;
// Private copy: EMPTY_ROOT is an exported, hence mutable, Buffer; verification must not depend on it.
const EMPTY = hash('sha256', Buffer.alloc(0), 'buffer');
const NODE_PREFIX = Buffer.from([0x01]);
// hashChildren is synchronous, so one scratch buffer saves an allocation per internal node.
const scratch = Buffer.alloc(1 + 2 * HASH_SIZE);

/** MTH({}) = SHA-256() (RFC 9162 §2.1.1): the root of a tree with no leaves. */
export const EMPTY_ROOT: Buffer = Buffer.from(EMPTY);

/** Leaf hash SHA-256(0x00 || data) (RFC 9162 §2.1.1); the prefix keeps leaves and nodes apart. */
export function hashLeaf(data: Uint8Array): Buffer {
  // allocUnsafe draws from Node's pool; every byte is written below, so nothing stale is hashed.
  const buf = Buffer.allocUnsafe(1 + data.length);
  buf[0] = 0x00;
  buf.set(data, 1);
  return hash('sha256', buf, 'buffer');
}

/** Internal node hash SHA-256(0x01 || left || right) (RFC 9162 §2.1.1). */
export function hashChildren(l: Uint8Array, r: Uint8Array): Buffer {
  if (l.length !== HASH_SIZE || r.length !== HASH_SIZE) {
    return hash('sha256', Buffer.concat([NODE_PREFIX, l, r]), 'buffer');
  }
  scratch[0] = 0x01;
  scratch.set(l, 1);
  scratch.set(r, 1 + HASH_SIZE);
  return hash('sha256', scratch, 'buffer');
}

/**
 * MTH over leaf hashes (RFC 9162 §2.1.1), level by level in one contiguous buffer. Pairing nodes
 * left to right and promoting an odd last node reproduces the RFC's "largest power of two smaller
 * than n" split, without recursion or one array per level.
 */
export function rootFromLeafHashes(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return Buffer.from(EMPTY);
  const buf = Buffer.alloc(leaves.length * HASH_SIZE);
  leaves.forEach((leaf, i) => {
    if (!isHash(leaf)) throw new RangeError(`leaf hash ${i} is not ${HASH_SIZE} bytes`);
    buf.set(leaf, i * HASH_SIZE);
  });
  for (let n = leaves.length; n > 1; n = Math.ceil(n / 2)) {
    for (let j = 0; 2 * j + 1 < n; j++) {
      scratch[0] = 0x01;
      buf.copy(scratch, 1, 2 * j * HASH_SIZE, (2 * j + 2) * HASH_SIZE);
      hash('sha256', scratch, 'buffer').copy(buf, j * HASH_SIZE);
    }
    if (n % 2 === 1) buf.copy(buf, ((n - 1) / 2) * HASH_SIZE, (n - 1) * HASH_SIZE, n * HASH_SIZE);
  }
  return Buffer.from(buf.subarray(0, HASH_SIZE));
}

/** A perfect subtree: the 2^level leaves [index * 2^level, (index + 1) * 2^level). */
export type NodeId = { readonly level: number; readonly index: number };
/** Hash of the perfect subtree (level, index); level 0 is a leaf hash. Throw if it is not stored. */
export type NodeSource = (level: number, index: number) => Buffer;
/** Asynchronous {@link NodeSource}, e.g. a database lookup. */
export type AsyncNodeSource = (level: number, index: number) => Promise<Buffer>;
/** One entry per proof hash: the perfect nodes, left to right, whose fold from the right is that hash. */
type Plan = NodeId[][];

const isIndex = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === HASH_SIZE;
const half = (n: number): number => Math.floor(n / 2);
// Binary digits of a safe integer: exact up to 2^53, unlike Math.log2, and not limited to 32 bits.
const bits = (n: number): string => n.toString(2);
/** Smallest k with 2^k >= n. */
const ceilLog2 = (n: number): number => (n <= 1 ? 0 : bits(n - 1).length);
const trailingZeros = (n: number): number => bits(n).length - 1 - bits(n).lastIndexOf('1');
/** Number of perfect subtrees in the decomposition of `size`: its count of one bits. */
const popCount = (size: number): number => bits(size).replaceAll('0', '').length;
function bytesEqual(a: unknown, b: unknown): boolean {
  return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
}
function requireIndexes(values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!isIndex(v)) throw new RangeError(`${name} must be a non-negative safe integer, got ${v}`);
  }
}

/**
 * Whether [start, end) is a subtree in the sense of draft-ietf-plants-merkle-tree-certs: start is a
 * multiple of the smallest power of two >= end - start, so it is a node of the tree of size end.
 * Every range RFC 9162's recursion splits off has this shape. Empty ranges count as valid.
 */
export function isValidSubtree(start: number, end: number): boolean {
  if (!isIndex(start) || !isIndex(end) || start > end) return false;
  return start === 0 || start === end || start % 2 ** ceilLog2(end - start) === 0;
}

/** Perfect subtrees covering a valid subtree, largest first: the fold from the right is its MTH. */
export function nodesForSubtree(start: number, end: number): NodeId[] {
  if (!isValidSubtree(start, end)) throw new RangeError(`[${start}, ${end}) is not a subtree`);
  const out: NodeId[] = [];
  for (let pos = start; pos < end;) {
    // The largest power of two that fits; alignment of start keeps every piece aligned too.
    const level = bits(end - pos).length - 1;
    out.push({ level, index: pos / 2 ** level });
    pos += 2 ** level;
  }
  return out;
}

/**
 * Siblings on the path from node (level, index) up to the root of a tree of `size` leaves, bottom
 * up as in RFC 9162 §2.1.3.1. A node that is the last of its level and a left child has no sibling
 * and is promoted; a right sibling that is the last node may be imperfect, hence several nodes.
 */
function pathPlan(level: number, index: number, size: number): Plan {
  const plan: Plan = [];
  let i = index;
  let last = Math.floor((size - 1) / 2 ** level);
  for (let l = level; last > 0; l++, i = half(i), last = half(last)) {
    if (i % 2 === 1) plan.push([{ level: l, index: i - 1 }]);
    else if (i < last) {
      const from = (i + 1) * 2 ** l;
      plan.push(nodesForSubtree(from, Math.min(from + 2 ** l, size)));
    }
  }
  return plan;
}

function inclusionPlan(index: number, size: number): Plan {
  requireIndexes({ index, size });
  if (index >= size) throw new RangeError(`index ${index} is not below tree size ${size}`);
  return pathPlan(0, index, size);
}

/**
 * RFC 9162 §2.1.4.1 PROOF(from, D[to]): the largest perfect subtree ending at `from` (omitted when it
 * is the whole old tree, whose root the verifier already has), then that node's inclusion path.
 */
function consistencyPlan(from: number, to: number): Plan {
  requireIndexes({ from, to });
  if (from === 0 || from > to) throw new RangeError(`need 0 < from <= to, got ${from}, ${to}`);
  if (from === to) return [];
  const shift = trailingZeros(from);
  const plan = pathPlan(shift, from / 2 ** shift - 1, to);
  if (from !== 2 ** shift) plan.unshift([{ level: shift, index: from / 2 ** shift - 1 }]);
  return plan;
}

const key = (n: NodeId): string => `${n.level}/${n.index}`;

/** Nodes an inclusion proof needs, for fetching in one query before {@link inclusionProof}. */
export const nodesForInclusion = (index: number, size: number): NodeId[] =>
  inclusionPlan(index, size).flat();
/** Nodes a consistency proof needs, for fetching in one query before {@link consistencyProof}. */
export const nodesForConsistency = (from: number, to: number): NodeId[] =>
  consistencyPlan(from, to).flat();

function fetchHash(get: NodeSource, n: NodeId): Buffer {
  const h = get(n.level, n.index);
  if (!isHash(h)) throw new Error(`node source returned no ${HASH_SIZE}-byte hash for ${key(n)}`);
  return h;
}
/** Fold from the right, as MTH combines a range's perfect subtrees (RFC 9162 §2.1.1). */
function foldHashes(hashes: readonly Buffer[]): Buffer {
  let acc: Buffer | undefined;
  for (const h of hashes.toReversed()) acc = acc === undefined ? h : hashChildren(h, acc);
  return acc ?? Buffer.from(EMPTY);
}
const foldRight = (get: NodeSource, nodes: readonly NodeId[]): Buffer =>
  foldHashes(nodes.map((n) => fetchHash(get, n)));
const runPlan = (plan: Plan, get: NodeSource): Buffer[] => plan.map((ns) => foldRight(get, ns));

/** MTH(D[start:end]) for a valid subtree from O(log n) stored perfect nodes (RFC 9162 §2.1.1). */
export const subtreeRoot = (get: NodeSource, start: number, end: number): Buffer =>
  foldRight(get, nodesForSubtree(start, end));
/** Inclusion proof PATH(index, D[size]) (RFC 9162 §2.1.3.1), bottom up. */
export const inclusionProof = (get: NodeSource, index: number, size: number): Buffer[] =>
  runPlan(inclusionPlan(index, size), get);
/** Consistency proof PROOF(from, D[to]) (RFC 9162 §2.1.4.1); requires 0 < from <= to. */
export const consistencyProof = (get: NodeSource, from: number, to: number): Buffer[] =>
  runPlan(consistencyPlan(from, to), get);

/** Fetches every distinct node of a plan concurrently, then combines them synchronously. */
async function runPlanAsync(plan: Plan, get: AsyncNodeSource): Promise<Buffer[]> {
  const unique = [...new Map(plan.flat().map((n) => [key(n), n])).values()];
  const hashes = await Promise.all(unique.map((n) => get(n.level, n.index)));
  const byKey = new Map(unique.map((n, i) => [key(n), hashes[i]]));
  return runPlan(plan, (level, index) => {
    const h = byKey.get(key({ level, index }));
    if (h === undefined) throw new Error(`node ${level}/${index} was not fetched`);
    return h;
  });
}
/** Async {@link subtreeRoot}: plans the nodes, fetches them all, then combines. */
export const subtreeRootAsync = async (get: AsyncNodeSource, start: number, end: number) =>
  (await runPlanAsync([nodesForSubtree(start, end)], get))[0] ?? Buffer.from(EMPTY);
/** Async {@link inclusionProof}. */
export const inclusionProofAsync = (get: AsyncNodeSource, index: number, size: number) =>
  runPlanAsync(inclusionPlan(index, size), get);
/** Async {@link consistencyProof}. */
export const consistencyProofAsync = (get: AsyncNodeSource, from: number, to: number) =>
  runPlanAsync(consistencyPlan(from, to), get);

/**
 * Walks a proof from node `index` of a level whose last node is `last` up to the root, consuming
 * hashes from proof[pos] (RFC 9162 §2.1.3.2, with promoted levels skipped instead of shifted).
 * `sub` also folds the left siblings of the lowest `subLevels` levels: the root of the same
 * subtree before anything was appended to its right. Null unless the proof is consumed exactly.
 */
function walk(
  seed: Uint8Array,
  index: number,
  last: number,
  proof: Proof,
  pos: number,
  subLevels: number,
): { root: Uint8Array; sub: Uint8Array } | null {
  let root = seed;
  let sub = seed;
  let p = pos;
  for (let l = 0, i = index, n = last; n > 0; l++, i = half(i), n = half(n)) {
    if (i % 2 === 0 && i === n) continue;
    const h = proof[p++];
    if (h === undefined) return null;
    if (i % 2 === 0) root = hashChildren(root, h);
    else {
      root = hashChildren(h, root);
      if (l < subLevels) sub = hashChildren(h, sub);
    }
  }
  return p === proof.length ? { root, sub } : null;
}

type Hash = Uint8Array;
type Proof = readonly Hash[];
type InclusionArgs = [leafHash: Hash, index: number, size: number, proof: Proof, root: Hash];
type ConsistencyArgs = [size1: number, size2: number, proof: Proof, root1: Hash, root2: Hash];
const BAD_NUMBER = 'a size or index is not a non-negative safe integer';
const proofShapeError = (proof: Proof): string | null =>
  Array.isArray(proof) && proof.every(isHash)
    ? null
    : `proof is not a list of ${HASH_SIZE}-byte hashes`;

/**
 * Why an inclusion proof fails (RFC 9162 §2.1.3.2), or null when it proves that `leafHash` is leaf
 * `index` of the tree of `size` leaves with root `root`. Never throws, whatever the input.
 */
export function checkInclusion(...[leafHash, index, size, proof, root]: InclusionArgs) {
  if (!isIndex(index) || !isIndex(size)) return BAD_NUMBER;
  if (index >= size) return 'index is not below size';
  if (!isHash(leafHash)) return `leaf hash is not ${HASH_SIZE} bytes`;
  const w = proofShapeError(proof) ?? walk(leafHash, index, size - 1, proof, 0, 0);
  if (w === null || typeof w === 'string') return w ?? 'proof has the wrong length';
  return bytesEqual(w.root, root) ? null : 'computed root does not match';
}
/** RFC 9162 §2.1.3.2: true iff the proof shows leaf `index` of the tree of `size` is `leafHash`. */
export const verifyInclusion = (...args: InclusionArgs): boolean =>
  checkInclusion(...args) === null;

/** The root an inclusion proof implies (RFC 9162 §2.1.3.2), or null when its shape is invalid. */
export function rootFromInclusionProof(leafHash: Hash, index: number, size: number, proof: Proof) {
  const ok = isIndex(index) && isIndex(size) && index < size && isHash(leafHash);
  const w =
    ok && proofShapeError(proof) === null ? walk(leafHash, index, size - 1, proof, 0, 0) : null;
  return w === null ? null : Buffer.from(w.root);
}

/** Why a subtree inclusion proof (leaf `index` of subtree [start, end) with MTH `root`) fails. */
export function checkSubtreeInclusion(
  leafHash: Hash,
  index: number,
  start: number,
  end: number,
  proof: Proof,
  root: Hash,
): string | null {
  if (!isIndex(index) || !isIndex(start) || !isIndex(end)) return BAD_NUMBER;
  if (!isValidSubtree(start, end) || start === end) return 'not a non-empty subtree';
  if (index < start || index >= end) return 'index is outside the subtree';
  // A subtree's MTH is computed exactly like the root of a tree holding only its leaves.
  return checkInclusion(leafHash, index - start, end - start, proof, root);
}
/** True iff `leafHash` is leaf `index` of the valid subtree [start, end) with MTH `root`. */
export const verifySubtreeInclusion = (...args: Parameters<typeof checkSubtreeInclusion>) =>
  checkSubtreeInclusion(...args) === null;

/**
 * Why a subtree consistency proof fails, or null when it proves that subtree [start, end) with MTH
 * `subRoot` is part of the tree of `size` leaves with root `root`. An empty subtree needs no proof
 * and says nothing about `root`; transparency-dev's vectors accept it for any `root`.
 */
export function checkSubtreeConsistency(
  start: number,
  end: number,
  size: number,
  proof: Proof,
  subRoot: Hash,
  root: Hash,
): string | null {
  if (!isIndex(start) || !isIndex(end) || !isIndex(size)) return BAD_NUMBER;
  if (!isValidSubtree(start, end)) return 'not a subtree';
  if (end > size) return 'subtree ends beyond the tree';
  const shape = proofShapeError(proof);
  if (shape !== null) return shape;
  if (start === end || (start === 0 && end === size)) {
    if (proof.length > 0) return 'proof must be empty';
    return bytesEqual(subRoot, start === end ? EMPTY : root) ? null : 'roots do not match';
  }
  if (proof.length === 0) return 'empty proof';
  if (!isHash(subRoot)) return `subtree root is not ${HASH_SIZE} bytes`;
  // Generalises consistencyPlan. Ending at `size`, the subtree is a node on the right border and
  // the proof holds its left siblings. Otherwise the walk starts at the largest perfect node ending
  // at `end` and also rebuilds `subRoot` from the left siblings below the subtree's own level.
  const h = ceilLog2(end - start);
  const shift = end === size ? h : trailingZeros(end - start);
  const perfect = end === size || end - start === 2 ** shift;
  const seed = perfect ? subRoot : proof[0];
  if (seed === undefined) return 'empty proof';
  const last = Math.floor((size - 1) / 2 ** shift);
  const w = walk(seed, Math.ceil(end / 2 ** shift) - 1, last, proof, perfect ? 0 : 1, h - shift);
  if (w === null) return 'proof has the wrong length';
  if (!bytesEqual(w.sub, subRoot)) return 'proof does not match the subtree root';
  return bytesEqual(w.root, root) ? null : 'computed root does not match';
}
/** True iff the proof shows subtree [start, end) with MTH `subRoot` is part of tree (size, root). */
export const verifySubtreeConsistency = (...args: Parameters<typeof checkSubtreeConsistency>) =>
  checkSubtreeConsistency(...args) === null;

/**
 * Why a consistency proof fails (RFC 9162 §2.1.4.2), or null when tree (size2, root2) extends tree
 * (size1, root1). size1 = 0 is rejected: a consistency proof from the empty tree proves nothing.
 * Equal sizes need an empty proof and equal roots, compared as bytes like transparency-dev does.
 */
export function checkConsistency(...[size1, size2, proof, root1, root2]: ConsistencyArgs) {
  if (!isIndex(size1) || !isIndex(size2)) return BAD_NUMBER;
  if (size1 > size2) return 'size1 is greater than size2';
  if (size1 === 0) return 'consistency from the empty tree is meaningless';
  return checkSubtreeConsistency(0, size1, size2, proof, root1, root2);
}
/** RFC 9162 §2.1.4.2: true iff the proof shows tree (size2, root2) extends tree (size1, root1). */
export const verifyConsistency = (...args: ConsistencyArgs): boolean =>
  checkConsistency(...args) === null;

/** A perfect node completed by an append, with its hash. */
export type CompletedNode = NodeId & { readonly hash: Buffer };
/**
 * Appends leaf `size` to a compact range: the tree's perfect subtrees, largest first (RFC 9162
 * §2.1.1's MTH folds them from the right). Each time the new node is a right child it merges with
 * the last frontier entry, as adding one to `size` carries through its trailing one bits; each
 * merge completes a node that never changes again and can be stored for proofs.
 */
export function appendToFrontier(
  frontier: readonly Buffer[],
  size: number,
  leafHash: Buffer,
): { frontier: Buffer[]; completed: CompletedNode[] } {
  requireIndexes({ size });
  if (frontier.length !== popCount(size) || !frontier.every(isHash)) {
    throw new RangeError(`frontier does not describe a tree of size ${size}`);
  }
  if (!isHash(leafHash)) throw new RangeError(`leaf hash is not ${HASH_SIZE} bytes`);
  const next = frontier.slice();
  const completed: CompletedNode[] = [];
  let node = leafHash;
  for (let level = 1, index = size; index % 2 === 1; level++, index = half(index)) {
    const left = next.pop();
    if (left === undefined) throw new RangeError('frontier is too short');
    node = hashChildren(left, node);
    completed.push({ level, index: half(index), hash: node });
  }
  next.push(node);
  return { frontier: next, completed };
}

/** Root of the tree a frontier describes: fold from the right (RFC 9162 §2.1.1). */
export const rootFromFrontier = (frontier: readonly Buffer[]): Buffer =>
  Buffer.from(foldHashes(frontier));

/** Frontier as concatenated 32-byte hashes, for storage next to the tree size. */
export function encodeFrontier(frontier: readonly Buffer[]): Buffer {
  if (!frontier.every(isHash)) throw new RangeError(`frontier hashes must be ${HASH_SIZE} bytes`);
  return Buffer.concat(frontier);
}

/** Inverse of {@link encodeFrontier}; rejects a length that is not a multiple of 32. */
export function decodeFrontier(buf: Uint8Array): Buffer[] {
  if (buf.length % HASH_SIZE !== 0) {
    throw new RangeError(`frontier length ${buf.length} is not a multiple of ${HASH_SIZE}`);
  }
  return Array.from({ length: buf.length / HASH_SIZE }, (_, i) =>
    Buffer.from(buf.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)),
  );
}

/**
 * Replays leaves into a root with O(log n) state and nothing but the one node hash per merge:
 * the fast path for verification, where nothing has to be stored or checked along the way.
 */
export class TreeBuilder {
  readonly #stack: Buffer[] = [];
  #size = 0;

  /** Appends the next leaf hash (trusted to be 32 bytes: callers pass hashLeaf output). */
  push(leafHash: Buffer): void {
    let node = leafHash;
    for (let n = this.#size; n % 2 === 1; n = half(n)) {
      const left = this.#stack.pop();
      if (left === undefined) throw new RangeError('tree builder stack underflow');
      node = hashChildren(left, node);
    }
    this.#stack.push(node);
    this.#size++;
  }

  /**
   * Appends a whole perfect subtree of 2^level leaves given its root, as if its leaves had been
   * pushed one by one; the tree's size must be a multiple of 2^level.
   */
  pushSubtree(root: Buffer, level: number): void {
    const width = 2 ** level;
    if (!Number.isSafeInteger(width) || this.#size % width !== 0)
      throw new RangeError(`a subtree of 2^${level} leaves cannot start at ${this.#size}`);
    let node = root;
    for (let n = this.#size / width; n % 2 === 1; n = half(n)) {
      const left = this.#stack.pop();
      if (left === undefined) throw new RangeError('tree builder stack underflow');
      node = hashChildren(left, node);
    }
    this.#stack.push(node);
    this.#size += width;
  }

  get size(): number {
    return this.#size;
  }

  /** MTH of the leaves pushed so far (RFC 9162 §2.1.1). */
  root(): Buffer {
    return rootFromFrontier(this.#stack);
  }
}
