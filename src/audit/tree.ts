// Reading the stored Merkle tree: roots at any size, inclusion and consistency proofs, and signed
// checkpoints. Leaves live in audit_events (level 0), completed perfect subtrees in audit_nodes,
// so any proof needs O(log n) stored hashes fetched in two queries.
import { sql } from 'kysely';
import type { Keyring } from '../crypto/keyring.js';
import type { Db, Trx } from '../db/store.js';
import { notFound, invalidField } from '../errors.js';
import {
  consistencyProof,
  decodeFrontier,
  inclusionProof,
  nodesForConsistency,
  nodesForInclusion,
  nodesForSubtree,
  rootFromFrontier,
  subtreeRoot,
  type NodeId,
  type NodeSource,
} from './merkle.js';
import { formatNote, signCheckpoint, verifierKey, type Checkpoint } from './note.js';

const nodeKey = (level: number, index: number): string => `${level}/${index}`;

/** Loads the given nodes in two queries and returns a synchronous source over them. */
async function loadNodes(db: Db | Trx, nodes: readonly NodeId[]): Promise<NodeSource> {
  const found = new Map<string, Buffer>();
  const leaves = [...new Set(nodes.filter((n) => n.level === 0).map((n) => n.index))];
  const inner = nodes.filter((n) => n.level > 0);
  if (leaves.length > 0) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['seq', 'leaf_hash'])
      .where('seq', 'in', leaves)
      .execute();
    for (const r of rows) found.set(nodeKey(0, Number(r.seq)), r.leaf_hash);
  }
  if (inner.length > 0) {
    const rows = await db
      .selectFrom('audit_nodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) =>
        eb.or(inner.map((n) => eb.and([eb('level', '=', n.level), eb('idx', '=', n.index)]))),
      )
      .execute();
    for (const r of rows) found.set(nodeKey(r.level, Number(r.idx)), r.hash);
  }
  return (level, index) => {
    const h = found.get(nodeKey(level, index));
    if (h === undefined) throw new Error(`audit tree node ${level}/${index} is missing`);
    return h;
  };
}

export async function currentSize(db: Db | Trx): Promise<number> {
  const head = await db
    .selectFrom('audit_head')
    .select('size')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(head.size);
}

/** The Merkle root of the first `size` events. */
export async function rootAt(db: Db | Trx, size: number): Promise<Buffer> {
  const head = await db
    .selectFrom('audit_head')
    .select(['size', 'frontier'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  if (size === Number(head.size)) return rootFromFrontier(decodeFrontier(head.frontier));
  const nodes = nodesForSubtree(0, size);
  return subtreeRoot(await loadNodes(db, nodes), 0, size);
}

export interface StoredCheckpoint extends Checkpoint {
  signature: Buffer;
  note: string;
  keyVersion: number;
  createdAt: string;
}

/**
 * Returns the signed checkpoint for `size` (default: the current size), signing and storing one
 * when none exists yet. Signing a past size is sound: its root is fixed by the events below it.
 */
export async function checkpointAt(
  db: Db | Trx,
  keyring: Keyring,
  origin: string,
  now: Date,
  size?: number,
): Promise<StoredCheckpoint> {
  const current = await currentSize(db);
  const n = size ?? current;
  if (!Number.isSafeInteger(n) || n < 0 || n > current)
    throw invalidField('/size', `must be between 0 and the log size ${current}`, 'querystring');
  const existing = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('size', '=', n)
    .executeTakeFirst();
  const { publicKey, privateKey, version } = keyring.signing;
  if (existing && existing.origin === origin) {
    const c = { origin: existing.origin, size: n, root: existing.root };
    return {
      ...c,
      signature: existing.signature,
      note: formatNote(c, existing.signature, publicKey),
      keyVersion: existing.key_version,
      createdAt: existing.created_at,
    };
  }
  const c: Checkpoint = { origin, size: n, root: await rootAt(db, n) };
  const { signature, note } = signCheckpoint(c, privateKey, publicKey);
  const createdAt = now.toISOString();
  // Two instances may sign the same size at once; the first row wins and both are valid.
  await sql`insert into audit_checkpoints (size, root, origin, signature, key_version, created_at)
            values (${n}, ${c.root}, ${origin}, ${signature}, ${version}, ${createdAt})
            on conflict (size) do nothing`.execute(db);
  return { ...c, signature, note, keyVersion: version, createdAt };
}

/** The verifier key string for the active signing key (publish it; check-proof needs it). */
export const publicVerifierKey = (keyring: Keyring, origin: string): string =>
  verifierKey(origin, keyring.signing.publicKey);

export interface InclusionAnswer {
  event: number;
  size: number;
  leafHash: Buffer;
  entry: Buffer;
  proof: Buffer[];
}

export async function proveInclusion(
  db: Db | Trx,
  event: number,
  size: number,
): Promise<InclusionAnswer> {
  const current = await currentSize(db);
  if (!Number.isSafeInteger(event) || event < 0 || event >= current) throw notFound('audit event');
  if (!Number.isSafeInteger(size) || size <= event || size > current) {
    throw invalidField(
      '/size',
      `must be greater than the event number and at most the log size ${current}`,
    );
  }
  const row = await db
    .selectFrom('audit_events')
    .select(['entry', 'leaf_hash'])
    .where('seq', '=', event)
    .executeTakeFirst();
  if (row === undefined) throw notFound('audit event');
  const source = await loadNodes(db, nodesForInclusion(event, size));
  return {
    event,
    size,
    leafHash: row.leaf_hash,
    entry: row.entry,
    proof: inclusionProof(source, event, size),
  };
}

export async function proveConsistency(db: Db | Trx, from: number, to: number): Promise<Buffer[]> {
  const current = await currentSize(db);
  if (!Number.isSafeInteger(from) || from < 1)
    throw invalidField('/from', 'must be at least 1', 'querystring');
  if (!Number.isSafeInteger(to) || to < from || to > current)
    throw invalidField('/to', `must be between from and the log size ${current}`, 'querystring');
  const source = await loadNodes(db, nodesForConsistency(from, to));
  return consistencyProof(source, from, to);
}
