// The worker-thread hashing used by verification must give exactly what the single-thread
// functions give: leaf hashes, event MACs, chunk roots, and whole subtrees folded into a tree.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createHashPool } from './hash-pool.js';
import { eventMac } from './log.js';
import { hashLeaf, rootFromLeafHashes, TreeBuilder } from './merkle.js';

describe('hash pool', () => {
  const key = randomBytes(32);
  const pool = createHashPool(key, 2);
  afterAll(() => pool.close());

  it('matches hashLeaf, eventMac and the RFC 9162 root for any chunk', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 70 }),
        fc.nat({ max: 2 ** 40 }),
        async (entries, first) => {
          const got = await pool.hashChunk(entries, first);
          const leaves = entries.map((e) => hashLeaf(e));
          expect(got.leaves.equals(Buffer.concat(leaves))).toBe(true);
          expect(
            got.macs.equals(Buffer.concat(leaves.map((l, i) => eventMac(key, first + i, l)))),
          ).toBe(true);
          expect(got.root.equals(rootFromLeafHashes(leaves))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers concurrent chunks each with its own result', async () => {
    const chunks = Array.from({ length: 12 }, (_, k) =>
      Array.from({ length: k + 1 }, () => randomBytes(40)),
    );
    const results = await Promise.all(chunks.map((c, k) => pool.hashChunk(c, k * 100)));
    results.forEach((r, k) =>
      expect(r.root.equals(rootFromLeafHashes(chunks[k]!.map((e) => hashLeaf(e))))).toBe(true),
    );
  });
});

describe('TreeBuilder.pushSubtree', () => {
  it('folds a perfect subtree exactly as pushing its leaves would', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 4 }), { maxLength: 12 }), (levels) => {
        const bySubtree = new TreeBuilder();
        const byLeaf = new TreeBuilder();
        for (const level of levels) {
          // Only aligned subtrees are valid; pad with single leaves up to the next border.
          while (byLeaf.size % 2 ** level !== 0) {
            const leaf = hashLeaf(randomBytes(8));
            byLeaf.push(leaf);
            bySubtree.push(leaf);
          }
          const leaves = Array.from({ length: 2 ** level }, () => hashLeaf(randomBytes(8)));
          for (const leaf of leaves) byLeaf.push(leaf);
          bySubtree.pushSubtree(rootFromLeafHashes(leaves), level);
          expect(bySubtree.size).toBe(byLeaf.size);
          expect(bySubtree.root().equals(byLeaf.root())).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a subtree that does not start on its border', () => {
    const tree = new TreeBuilder();
    tree.push(hashLeaf(Buffer.from('a')));
    expect(() => tree.pushSubtree(hashLeaf(Buffer.from('b')), 1)).toThrow(RangeError);
  });
});
