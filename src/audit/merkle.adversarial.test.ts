// Merkle verifiers against an adversary: malformed and hostile input never throws, and proofs for
// another index, size or tree, or with any edit, are refused (fast-check with a fixed seed).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type NodeSource,
  EMPTY_ROOT,
  checkConsistency,
  consistencyProof,
  inclusionProof,
  isValidSubtree,
  rootFromInclusionProof,
  rootFromLeafHashes,
  subtreeRoot,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from './merkle.js';
import {
  at,
  flipBit,
  LEAVES,
  N_LEAVES,
  OTHER,
  OTHER_STORE,
  refSubtreeProof,
  root,
  STORE,
} from '../../test/support/merkle-reference.js';

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
// Properties with an adversarial prover (fixed seed).
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
