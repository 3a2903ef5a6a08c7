// Tests for the Merkle tree: hashing, exhaustive small trees against the RFC 9162 reference, the
// frontier of an append-only log, and the proof planners with their asynchronous node sources.
// The transparency-dev vectors are in merkle.vectors.test.ts, hostile input and properties in
// merkle.adversarial.test.ts, the reference in test/support/merkle-reference.ts.
import { describe, expect, it } from 'vitest';
import {
  type AsyncNodeSource,
  type CompletedNode,
  type NodeSource,
  EMPTY_ROOT,
  appendToFrontier,
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
import {
  at,
  flipBit,
  hex,
  hexAll,
  LEAVES,
  N_LEAVES,
  refConsistency,
  refMth,
  refPath,
  refSubtreeProof,
  RFC_LEAVES,
  RFC_ROOT_8,
  root,
  sha256,
  STORE,
} from '../../test/support/merkle-reference.js';

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
// Exhaustive small trees.
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
// The frontier (compact range) of an append-only log, and proofs from its stored nodes.
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
