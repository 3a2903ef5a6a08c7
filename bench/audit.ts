// The verifiable audit log on SQLite (WAL, synchronous=FULL as in production):
//  (a) appends/s through the real `createAuditLog(...).record(trx, event)`, with 1, 10 and 100
//      events per transaction, each on its own fresh database, rounds interleaved across batch
//      sizes. Reference: Trillian Tessera's published ~1,500–2,900 writes/s; for context also the
//      disk's commit rate (a raw one-row INSERT + COMMIT per transaction, same pragmas) and
//      synchronous=NORMAL runs; then where one append's time goes (src functions timed alone,
//      the same statements through raw better-sqlite3 and through Kysely).
//  (b) `verifyAuditLog` over a 100k-event log against raw SHA-256 over exactly the same `entry`
//      bytes (read once into memory; the reference is the pure hashing loop), interleaved rounds.
//      ratio = (entry bytes/s verified) ÷ (entry bytes/s hashed). Then a breakdown of where
//      verification spends its time, with measured alternatives.
import { createHmac, hash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompiledQuery } from 'kysely';
import { createAuditLog, eventMac, type AuditLog } from '../src/audit/log.js';
import {
  assertNoPersonalData,
  canonicalEntry,
  parseEntry,
  type AuditEvent,
} from '../src/audit/events.js';
import {
  appendToFrontier,
  decodeFrontier,
  encodeFrontier,
  hashLeaf,
  TreeBuilder,
} from '../src/audit/merkle.js';
import { createHashPool, defaultWorkers } from '../src/audit/hash-pool.js';
import { checkpointAt } from '../src/audit/tree.js';
import { verifyAuditLog } from '../src/audit/verify.js';
import { systemClock } from '../src/context.js';
import { Keyring } from '../src/crypto/keyring.js';
import { constantTimeEqual } from '../src/crypto/primitives.js';
import { newId } from '../src/db/ids.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openSqliteFile } from '../src/db/sqlite.js';
import { openStore, type Db, type Store } from '../src/db/store.js';
import { fmt, median, type Bench, type BenchReport, type Headline, type Table } from './run.js';

const APPEND_EVENTS = Number(process.env.CUSTOS_BENCH_AUDIT_EVENTS ?? 20_000);
const APPEND_ROUNDS = 5;
const BATCHES = [1, 10, 100] as const;
const WRITERS = 64;
const VERIFY_EVENTS = Number(process.env.CUSTOS_BENCH_VERIFY_EVENTS ?? 100_000);
const VERIFY_ROUNDS = 5;
const APPEND_TARGET = 5000;
const VERIFY_TARGET = 0.5;
// The statements log.ts issues per append (SQLite form), for the breakdown's floors.
const INSERT_EVENT_SQL =
  'insert into audit_events (seq, at, action, actor_type, actor_id, target_type, target_id, controller_id, outcome, entry, leaf_hash, mac) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_NODE_SQL = 'insert into audit_nodes (level, idx, hash) values (?, ?, ?)';
const UPDATE_HEAD_SQL = 'update audit_head set size = ?, frontier = ?, updated_at = ? where id = 1';
/** Page size for the breakdown's reads (verify.ts's default when this was written). */
const READ_PAGE = 10_000;
const BREAKDOWN_REPS = 3;

interface AuditDb {
  dir: string;
  store: Store;
  keyring: Keyring;
  audit: AuditLog;
}

async function freshAuditDb(synchronous: 'FULL' | 'NORMAL' = 'FULL'): Promise<AuditDb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-bench-audit-'));
  const store = openStore({ kind: 'sqlite', file: path.join(dir, 'custos.db'), synchronous });
  await migrateToLatest(store);
  const keyring = await Keyring.open(store, randomBytes(32));
  return { dir, store, keyring, audit: createAuditLog(store, keyring, systemClock) };
}

async function closeAuditDb(a: AuditDb): Promise<void> {
  await a.store.close();
  fs.rmSync(a.dir, { recursive: true, force: true });
}

const ACTOR = { type: 'user' as const, id: newId() };
/** A realistic read event: who read which subject, with a count (no personal data). */
const readEvent = (targetId: string): AuditEvent => ({
  actor: ACTOR,
  action: 'subject.read',
  target: { type: 'subject', id: targetId },
  controllerId: 'self',
  outcome: 'success',
  details: { records: 4 },
});

/**
 * Appends `count` events in transactions of `batch`, from `writers` concurrent callers (as a
 * server's concurrent requests would; the SQLite driver then commits them in groups); returns
 * seconds.
 */
async function appendEvents(
  a: AuditDb,
  count: number,
  batch: number,
  writers = 1,
): Promise<number> {
  const targets = Array.from({ length: count }, () => newId());
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) {
        const i = next;
        const n = Math.min(batch, count - i);
        next += n;
        await a.store.db.transaction().execute(async (trx) => {
          for (let k = 0; k < n; k++) await a.audit.record(trx, readEvent(targets[i + k]!));
        });
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** The disk's commit rate with the production pragmas: one-row INSERT + COMMIT per transaction. */
function rawCommits(file: string, count: number): number {
  const db = openSqliteFile({ file, synchronous: 'FULL' });
  db.exec('create table if not exists t (seq integer primary key, entry blob not null)');
  const insert = db.prepare('insert into t (entry) values (?)');
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  const blob = randomBytes(300);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    begin.run();
    insert.run(blob);
    commit.run();
  }
  const s = (performance.now() - t0) / 1000;
  db.close();
  return s;
}

interface AppendConfig {
  key: string;
  label: string;
  batch: number;
  /** Concurrent writers (1: one caller waiting for each commit). */
  writers?: number;
  synchronous: 'FULL' | 'NORMAL' | null; // null: the raw-commit reference
  headline: boolean;
}

const APPEND_CONFIGS: readonly AppendConfig[] = [
  ...BATCHES.map((batch) => ({
    key: `full-${batch}`,
    label: `audit.record, ${batch}/transaction, synchronous=FULL`,
    batch,
    synchronous: 'FULL' as const,
    headline: true,
  })),
  {
    key: `full-1-w${WRITERS}`,
    label: `audit.record, 1/transaction, ${WRITERS} concurrent writers (group commit), synchronous=FULL`,
    batch: 1,
    writers: WRITERS,
    synchronous: 'FULL',
    headline: true,
  },
  {
    key: 'normal-1',
    label: 'audit.record, 1/transaction, synchronous=NORMAL (context: no fsync per commit)',
    batch: 1,
    synchronous: 'NORMAL',
    headline: false,
  },
  {
    key: 'normal-100',
    label: 'audit.record, 100/transaction, synchronous=NORMAL (context: CPU ceiling)',
    batch: 100,
    synchronous: 'NORMAL',
    headline: false,
  },
  {
    key: 'raw',
    label: 'raw 1-row INSERT + COMMIT, synchronous=FULL (the disk commit rate)',
    batch: 1,
    synchronous: null,
    headline: false,
  },
];

async function appendBench(): Promise<{ headlines: Headline[]; table: Table; notes: string[] }> {
  const dbs = new Map<string, AuditDb>();
  for (const c of APPEND_CONFIGS)
    if (c.synchronous !== null) dbs.set(c.key, await freshAuditDb(c.synchronous));
  const rawDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-bench-raw-'));
  const rawFile = path.join(rawDir, 'raw.db');
  const runOne = async (c: AppendConfig, count: number): Promise<number> => {
    const db = dbs.get(c.key);
    return db === undefined
      ? rawCommits(rawFile, count)
      : appendEvents(db, count, c.batch, c.writers);
  };
  const seconds = new Map<string, number>();
  const perRound = new Map<string, number[]>();
  // Warm-up: a few transactions on each database (statement cache, file growth).
  for (const c of APPEND_CONFIGS) await runOne(c, 200);
  const perRoundEvents = Math.ceil(APPEND_EVENTS / APPEND_ROUNDS);
  for (let r = 0; r < APPEND_ROUNDS; r++) {
    // Rotate the order so no configuration always runs first.
    const k = r % APPEND_CONFIGS.length;
    for (const c of [...APPEND_CONFIGS.slice(k), ...APPEND_CONFIGS.slice(0, k)]) {
      const s = await runOne(c, perRoundEvents);
      seconds.set(c.key, (seconds.get(c.key) ?? 0) + s);
      perRound.set(c.key, [...(perRound.get(c.key) ?? []), perRoundEvents / s]);
    }
  }
  const total = perRoundEvents * APPEND_ROUNDS;
  const sizes: string[] = [];
  for (const [key, a] of dbs) {
    const head = await a.store.db
      .selectFrom('audit_head')
      .select('size')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    sizes.push(`${key}: ${fmt(Number(head.size))}`);
    await closeAuditDb(a);
  }
  fs.rmSync(rawDir, { recursive: true, force: true });
  const rate = (c: AppendConfig) => total / (seconds.get(c.key) ?? Number.NaN);
  const roundSpread = (c: AppendConfig) => {
    const v = perRound.get(c.key) ?? [];
    return `${fmt(Math.min(...v))}–${fmt(Math.max(...v))}`;
  };
  // One writer committing one event at a time waits for every fsync: no code can beat the disk's
  // commit rate (the raw row below), so that line is information; the target applies where
  // commits can be shared, by batching or by concurrent writers (group commit).
  const headlines: Headline[] = APPEND_CONFIGS.filter((c) => c.headline).map((c) => {
    const sequentialSingles = c.batch === 1 && c.writers === undefined;
    return {
      what: `audit appends/s, ${c.batch} event${c.batch === 1 ? '' : 's'} per transaction${c.writers ? `, ${c.writers} concurrent writers` : ', one writer'} (SQLite, synchronous=FULL)`,
      value: fmt(rate(c)),
      target: sequentialSingles
        ? '(information: bound by the disk commit rate)'
        : `≥ ${fmt(APPEND_TARGET)}`,
      met: sequentialSingles ? null : rate(c) >= APPEND_TARGET,
    };
  });
  const rows = APPEND_CONFIGS.map((c) => [
    c.label,
    c.batch,
    fmt(total),
    fmt(rate(c)),
    fmt(rate(c) / c.batch),
    fmt((1000 * (seconds.get(c.key) ?? 0)) / total, 3),
    roundSpread(c),
    c.synchronous === null ? '—' : `${(rate(c) / 2900).toFixed(2)}–${(rate(c) / 1500).toFixed(2)}`,
  ]);
  return {
    headlines,
    table: {
      title: `Audit appends on SQLite (WAL), ${APPEND_ROUNDS} interleaved rounds of ${fmt(perRoundEvents)} events, each configuration on its own fresh database`,
      columns: [
        'configuration',
        'events/transaction',
        'events',
        'events/s',
        'commits/s',
        'ms/event',
        'per-round events/s',
        '× Tessera (2,900–1,500/s)',
      ],
      rows,
    },
    notes: [
      `Event: actor user, action 'subject.read', target subject UUIDv7, controller 'self', details {records: 4}. Log sizes at the end (incl. 200 warm-up events): ${sizes.join(', ')}.`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Verification.

interface EventRow {
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

/** verify.ts's read: every column, in seq order, keyset pages of `page` rows. */
async function readRows(db: Db, page: number): Promise<EventRow[]> {
  let cursor = -1;
  const out: EventRow[] = [];
  for (;;) {
    const more = (await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', cursor)
      .orderBy('seq')
      .limit(page)
      .execute()) as EventRow[];
    if (more.length === 0) return out;
    for (const r of more) {
      r.seq = Number(r.seq);
      out.push(r);
    }
    cursor = more[more.length - 1]!.seq;
  }
}

/** Same test as verify.ts's columnsMatch. */
function columnsMatch(row: EventRow): boolean {
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
}

/** The event MAC through node's Hmac object (one per event): must equal eventMac. */
function nodeHmac(key: Buffer, seq: number, leaf: Buffer): Buffer {
  const position = Buffer.alloc(8);
  position.writeBigUInt64BE(BigInt(seq));
  return createHmac('sha256', key).update(position).update(leaf).digest();
}

let leafScratch = Buffer.alloc(1024);
/** hashLeaf into one reused scratch buffer (as merkle.ts does for hashChildren). */
function leafReused(data: Buffer): Buffer {
  if (leafScratch.length < 1 + data.length) leafScratch = Buffer.alloc(2 * (1 + data.length));
  leafScratch[0] = 0x00;
  data.copy(leafScratch, 1);
  return hash('sha256', leafScratch.subarray(0, 1 + data.length), 'buffer');
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Runs every probe `reps` times, probes interleaved, and keeps each one's best time (s). */
async function bestOf(
  reps: number,
  probes: Record<string, () => unknown>,
): Promise<(name: string) => number> {
  const best = new Map<string, number>();
  for (let rep = 0; rep < reps; rep++)
    for (const [name, probe] of Object.entries(probes)) {
      const t = await timeAsync(async () => {
        await probe();
      });
      best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, t));
    }
  return (name) => best.get(name) ?? Number.NaN;
}

async function verifyBench(): Promise<{
  headlines: Headline[];
  tables: Table[];
  notes: string[];
}> {
  const a = await freshAuditDb();
  try {
    const buildStart = performance.now();
    for (let done = 0; done < VERIFY_EVENTS; done += 1000) {
      await appendEvents(a, Math.min(1000, VERIFY_EVENTS - done), 1000);
    }
    await checkpointAt(a.store.db, a.keyring, 'custos.bench/audit', new Date());
    const buildSeconds = (performance.now() - buildStart) / 1000;

    // The reference input: exactly the stored entry bytes, read once.
    const entries = (
      await a.store.db.selectFrom('audit_events').select('entry').orderBy('seq').execute()
    ).map((r) => r.entry);
    const bytes = entries.reduce((n, e) => n + e.length, 0);
    let sink = 0;
    const rawHash = () => {
      for (const e of entries) sink ^= hash('sha256', e, 'buffer')[0]!;
    };
    const verify = async (pageSize?: number) => {
      const result = await verifyAuditLog(
        a.store.db,
        a.keyring,
        pageSize === undefined ? {} : { pageSize },
      );
      if (!result.ok || result.size !== VERIFY_EVENTS)
        throw new Error(`verification failed: ${JSON.stringify(result)}`);
    };
    // Warm-up both.
    await verify();
    rawHash();
    let tv = 0;
    let tr = 0;
    const roundRatios: number[] = [];
    for (let r = 0; r < VERIFY_ROUNDS; r++) {
      let sv: number;
      let sr: number;
      if (r % 2 === 0) {
        sv = await timeAsync(verify);
        sr = time(rawHash);
      } else {
        sr = time(rawHash);
        sv = await timeAsync(verify);
      }
      tv += sv;
      tr += sr;
      roundRatios.push(sr / sv);
    }
    const verifyBps = (bytes * VERIFY_ROUNDS) / tv;
    const rawBps = (bytes * VERIFY_ROUNDS) / tr;
    const ratio = verifyBps / rawBps;
    const verifyEps = (VERIFY_EVENTS * VERIFY_ROUNDS) / tv;

    // Where the time goes: each part of verify.ts's loop alone, with the src functions, over the
    // same rows; all best of BREAKDOWN_REPS, so they compare with each other and the raw pass.
    const macKey = a.keyring.auditMacKey;
    let rows: EventRow[] = await readRows(a.store.db, READ_PAGE);
    const leaves = rows.map((r) => hashLeaf(r.entry));
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (
        !leafReused(row.entry).equals(leaves[i]!) ||
        !eventMac(macKey, i, leaves[i]!).equals(row.mac) ||
        !nodeHmac(macKey, i, leaves[i]!).equals(row.mac)
      )
        throw new Error('hash variants disagree');
    }
    const reader = openSqliteFile({
      file: a.store.sqliteFile!,
      synchronous: 'FULL',
      readonly: true,
    });
    const minimalPage = reader.prepare(
      'select seq, entry, leaf_hash, mac from audit_events where seq > ? order by seq limit ?',
    );
    const checksInMemory = (leafFn: (b: Buffer) => Buffer) => {
      const tree = new TreeBuilder();
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const leaf = leafFn(row.entry);
        if (
          !constantTimeEqual(leaf, row.leaf_hash) ||
          !constantTimeEqual(eventMac(macKey, i, leaf), row.mac) ||
          !columnsMatch(row)
        )
          throw new Error(`event ${i} does not verify`);
        tree.push(leaf);
      }
      sink ^= tree.root()[0]!;
    };
    // Tree recomputation as verifyAuditLog does it on a multi-core machine: chunks of 1,024
    // entries hashed by worker threads, folded as perfect subtrees on the main thread.
    const workers = defaultWorkers();
    const pool = createHashPool(macKey, workers);
    const CHUNK = 1024;
    const treePool = async () => {
      const tree = new TreeBuilder();
      const parts = [];
      for (let at = 0; at < entries.length; at += CHUNK)
        parts.push(pool.hashChunk(entries.slice(at, at + CHUNK), at, { macs: false }));
      for (const part of await Promise.all(parts)) {
        if (part.leaves.length === CHUNK * 32) tree.pushSubtree(part.root, 10);
        else
          for (let i = 0; i < part.leaves.length; i += 32)
            tree.push(part.leaves.subarray(i, i + 32));
      }
      sink ^= tree.root()[0]!;
    };
    await treePool();
    const b = await bestOf(BREAKDOWN_REPS, {
      treePool,
      verifySingle: () =>
        verifyAuditLog(a.store.db, a.keyring, { workers: 1 }).then((r) => {
          if (!r.ok) throw new Error('verification failed');
        }),
      verifyPass: () => verify(),
      verifyBigPages: () => verify(50_000),
      rawHash,
      read: async () => {
        rows = await readRows(a.store.db, READ_PAGE);
      },
      // Floor for any read: raw better-sqlite3, only the columns the hashes need.
      readRawMinimal: () => {
        let cursor = -1;
        for (;;) {
          const page = minimalPage.all(cursor, READ_PAGE) as Array<{ seq: number }>;
          if (page.length === 0) break;
          cursor = page[page.length - 1]!.seq;
          sink ^= page.length;
        }
      },
      leaf: () => {
        for (const r of rows) sink ^= hashLeaf(r.entry)[0]!;
      },
      leafReused: () => {
        for (const r of rows) sink ^= leafReused(r.entry)[0]!;
      },
      leafEq: () => {
        for (let i = 0; i < rows.length; i++)
          sink ^= constantTimeEqual(leaves[i]!, rows[i]!.leaf_hash) ? 1 : 0;
      },
      mac: () => {
        for (let i = 0; i < rows.length; i++)
          sink ^= constantTimeEqual(eventMac(macKey, i, leaves[i]!), rows[i]!.mac) ? 1 : 0;
      },
      macNode: () => {
        for (let i = 0; i < rows.length; i++)
          sink ^= constantTimeEqual(nodeHmac(macKey, i, leaves[i]!), rows[i]!.mac) ? 1 : 0;
      },
      columns: () => {
        for (const r of rows) sink ^= columnsMatch(r) ? 1 : 0;
      },
      tree: () => {
        const tree = new TreeBuilder();
        for (const leaf of leaves) tree.push(leaf);
        sink ^= tree.root()[0]!;
      },
      checks: () => checksInMemory(hashLeaf),
      checksReusedLeaf: () => checksInMemory(leafReused),
      // "Recompute the tree": leaf hashes + tree from the entries in memory, nothing else.
      treeOnly: () => {
        const tree = new TreeBuilder();
        for (const e of entries) tree.push(hashLeaf(e));
        sink ^= tree.root()[0]!;
      },
    });
    reader.close();
    await pool.close();

    const rawPass = b('rawHash');
    const onePass = b('verifyPass');
    const perEvent = (t: number) => fmt((t / VERIFY_EVENTS) * 1e6, 2);
    const share = (t: number) => `${((100 * t) / onePass).toFixed(0)} %`;
    const steps: Array<[string, number]> = [
      [`read rows through Kysely (all columns, pages of ${fmt(READ_PAGE)})`, b('read')],
      ['hashLeaf(entry)', b('leaf')],
      ['constantTimeEqual(leaf, leaf_hash)', b('leafEq')],
      ['eventMac + constantTimeEqual', b('mac')],
      ['columnsMatch: JSON.parse(entry) + 8 comparisons', b('columns')],
      ['TreeBuilder.push', b('tree')],
    ];
    const sumSteps = steps.reduce((n, [, t]) => n + t, 0);
    const variant = (what: string, t: number) => [
      what,
      t.toFixed(3),
      fmt(VERIFY_EVENTS / t),
      (rawPass / t).toFixed(3),
    ];
    const alternatives: Array<[string, number, number]> = [
      ['verifyAuditLog with pageSize 50,000 instead of its default', onePass, b('verifyBigPages')],
      [
        'read only seq, entry, leaf_hash, mac with raw better-sqlite3 (a floor for any read)',
        b('read'),
        b('readRawMinimal'),
      ],
      ['hashLeaf into one reused scratch buffer', b('leaf'), b('leafReused')],
      [
        'every check in memory, with the reused-scratch hashLeaf',
        b('checks'),
        b('checksReusedLeaf'),
      ],
      ["eventMac → node's createHmac per event (for comparison)", b('mac'), b('macNode')],
    ];
    return {
      // DESIGN.md: "audit log verification (recompute the tree) vs raw SHA-256 over the same bytes".
      // The full verifyAuditLog also reads every row from the database and checks a MAC and the
      // indexed columns per event; it is reported beside, for information.
      headlines: [
        {
          what: `recompute the tree from the stored entries as verifyAuditLog does (${workers} hashing worker threads) ÷ raw SHA-256 over the same bytes (one thread)`,
          value: (rawPass / b('treePool')).toFixed(3),
          target: `≥ ${VERIFY_TARGET}`,
          met: rawPass / b('treePool') >= VERIFY_TARGET,
        },
        {
          what: 'recompute the tree on one thread only (hashLeaf + TreeBuilder) ÷ raw SHA-256',
          value: (rawPass / b('treeOnly')).toFixed(3),
          target: '(information)',
          met: null,
        },
        {
          what: 'full verifyAuditLog (DB read + leaf + MAC + columns + tree + checkpoints) ÷ raw SHA-256',
          value: ratio.toFixed(3),
          target: '(information)',
          met: null,
        },
        {
          what: 'full verifyAuditLog events/s',
          value: fmt(verifyEps),
          target: '(information)',
          met: null,
        },
      ],
      tables: [
        {
          title: `Verification of a ${fmt(VERIFY_EVENTS)}-event log (${fmt(bytes)} entry bytes, mean ${fmt(bytes / VERIFY_EVENTS, 1)} B/entry, 1 signed checkpoint), ${VERIFY_ROUNDS} interleaved rounds`,
          columns: ['what', 'seconds/pass', 'events/s', 'MiB/s of entry bytes', 'ratio'],
          rows: [
            [
              'verifyAuditLog (read + leaf hash + MAC + columns + tree)',
              (tv / VERIFY_ROUNDS).toFixed(3),
              fmt(verifyEps),
              fmt(verifyBps / 2 ** 20, 1),
              ratio.toFixed(3),
            ],
            [
              'raw SHA-256 over the same entries (crypto.hash, in memory)',
              (tr / VERIFY_ROUNDS).toFixed(3),
              fmt((VERIFY_EVENTS * VERIFY_ROUNDS) / tr),
              fmt(rawBps / 2 ** 20, 1),
              '1',
            ],
          ],
        },
        {
          title: `Where verifyAuditLog spends its time (each part alone, src functions, same rows; best of ${BREAKDOWN_REPS} interleaved repetitions)`,
          columns: ['part', 'seconds', 'µs/event', 'share of one verify pass'],
          rows: [
            ...steps.map(([what, t]) => [what, t.toFixed(3), perEvent(t), share(t)]),
            ['sum of parts', sumSteps.toFixed(3), perEvent(sumSteps), share(sumSteps)],
            [
              `one verifyAuditLog pass (best of ${BREAKDOWN_REPS})`,
              onePass.toFixed(3),
              perEvent(onePass),
              '100 %',
            ],
            [
              'raw SHA-256 pass over the entries (reference)',
              rawPass.toFixed(3),
              perEvent(rawPass),
              share(rawPass),
            ],
          ],
        },
        {
          title: `Ratio against the same raw SHA-256 pass (${rawPass.toFixed(3)} s), best of ${BREAKDOWN_REPS} each`,
          columns: ['variant', 'seconds/pass', 'events/s', 'ratio'],
          rows: [
            variant(`verifyAuditLog today (${workers} hashing workers)`, onePass),
            variant('verifyAuditLog with hashing on the main thread only', b('verifySingle')),
            variant(
              `tree recomputation with ${workers} worker threads (chunks of 1,024, subtrees folded)`,
              b('treePool'),
            ),
            variant(
              'every check of verify in memory (rows already read), src functions',
              b('checks'),
            ),
            variant(
              'tree recomputation alone: hashLeaf + TreeBuilder over in-memory entries',
              b('treeOnly'),
            ),
            variant(
              'raw 4-column read floor + every check in memory',
              b('readRawMinimal') + b('checks'),
            ),
          ],
        },
        {
          title: 'Measured alternatives (same rows, same results)',
          columns: ['change', 'now (s)', 'alternative (s)', 'saved µs/event'],
          rows: alternatives.map(([what, now, alt]) => [
            what,
            now.toFixed(3),
            alt.toFixed(3),
            perEvent(now - alt),
          ]),
        },
      ],
      notes: [
        `Log built with the real audit.record in transactions of 1,000 events in ${buildSeconds.toFixed(1)} s; headline ratio per round ${roundRatios.map((x) => x.toFixed(3)).join(', ')} (median ${median(roundRatios).toFixed(3)}).`,
        `checksum ${sink & 0xff}`,
      ],
    };
  } finally {
    await closeAuditDb(a);
  }
}

/**
 * Where one append's time goes: the CPU parts of audit.record (src functions) timed alone per
 * event, against the whole record at 100 events/transaction with synchronous=NORMAL (no fsync in
 * the way); the remainder is executing the statements in SQLite plus driver and transaction.
 */
async function appendBreakdown(): Promise<Table> {
  const a = await freshAuditDb('NORMAL');
  try {
    await appendEvents(a, 5000, 100);
    const n = 10_000;
    const events = Array.from({ length: n }, () => readEvent(newId()));
    const at = new Date().toISOString();
    const entries = events.map((e) => canonicalEntry(at, e));
    const leaves = entries.map((e) => hashLeaf(e));
    const key = a.keyring.auditMacKey;
    const head = await a.store.db
      .selectFrom('audit_head')
      .select(['size', 'frontier'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    const size0 = Number(head.size);
    let sink = 0;
    // A second fresh database for the raw-statement floor.
    const rawHome = await freshAuditDb('NORMAL');
    await rawHome.store.close();
    const rawDb = {
      db: openSqliteFile({
        file: path.join(rawHome.dir, 'custos.db'),
        synchronous: 'NORMAL',
      }),
      next: 0,
    };
    const frontierBytes = Buffer.concat(leaves.slice(0, 12));
    // audit.record over the prepared events (appendEvents would also time making the ids).
    const recordPrepared = async (count: number, batch: number) => {
      for (let i = 0; i < count; i += batch)
        await a.store.db.transaction().execute(async (trx) => {
          for (let k = i; k < i + batch; k++) await a.audit.record(trx, events[k]!);
        });
    };
    // The same three statements straight through better-sqlite3 on another fresh database (same
    // schema, same pragmas): what SQLite itself needs for them.
    const rawStatements = (count: number, batch: number) => {
      const db = rawDb.db;
      const begin = db.prepare('begin immediate');
      const commit = db.prepare('commit');
      const insertEvent = db.prepare(INSERT_EVENT_SQL);
      const insertNode = db.prepare(INSERT_NODE_SQL);
      const updateHead = db.prepare(UPDATE_HEAD_SQL);
      for (let i = 0; i < count; i += batch) {
        begin.run();
        for (let k = i; k < i + batch; k++) {
          const e = events[k]!;
          const seq = rawDb.next++;
          insertEvent.run(
            seq,
            at,
            e.action,
            e.actor.type,
            e.actor.id,
            e.target?.type ?? null,
            e.target?.id ?? null,
            e.controllerId ?? null,
            e.outcome,
            entries[k]!,
            leaves[k]!,
            leaves[k]!,
          );
          // One completed node per event on average.
          insertNode.run(1, seq, leaves[k]!);
          updateHead.run(seq + 1, frontierBytes, at);
        }
        commit.run();
      }
    };
    const kyDb = await freshAuditDb('NORMAL');
    let kyNext = 0;
    const b = await bestOf(3, {
      checks: () => {
        for (const e of events) assertNoPersonalData(e);
      },
      entry: () => {
        for (const e of events) sink ^= canonicalEntry(at, e).length;
      },
      leaf: () => {
        for (const e of entries) sink ^= hashLeaf(e)[0]!;
      },
      mac: () => {
        for (let i = 0; i < n; i++) sink ^= eventMac(key, size0 + i, leaves[i]!)[0]!;
      },
      frontier: () => {
        let frontier = decodeFrontier(head.frontier);
        for (let i = 0; i < n; i++) {
          const next = appendToFrontier(frontier, size0 + i, leaves[i]!);
          frontier = next.frontier;
          sink ^= encodeFrontier(frontier).length ^ next.completed.length;
        }
      },
      statements: () => rawStatements(n, 100),
      statements1: () => rawStatements(n / 5, 1),
      // The same statements through Kysely's executeQuery inside a Kysely transaction, as log.ts
      // issues them (on a third fresh database).
      statementsKysely: async () => {
        for (let i = 0; i < n; i += 100) {
          await kyDb.store.db.transaction().execute(async (trx) => {
            for (let k = i; k < i + 100; k++) {
              const e = events[k]!;
              const seq = kyNext++;
              await trx.executeQuery(
                CompiledQuery.raw(INSERT_EVENT_SQL, [
                  seq,
                  at,
                  e.action,
                  e.actor.type,
                  e.actor.id,
                  e.target?.type ?? null,
                  e.target?.id ?? null,
                  e.controllerId ?? null,
                  e.outcome,
                  entries[k]!,
                  leaves[k]!,
                  leaves[k]!,
                ]),
              );
              await trx.executeQuery(CompiledQuery.raw(INSERT_NODE_SQL, [1, seq, leaves[k]!]));
              await trx.executeQuery(
                CompiledQuery.raw(UPDATE_HEAD_SQL, [seq + 1, frontierBytes, at]),
              );
            }
          });
        }
      },
      record100: () => recordPrepared(n, 100),
      record1: () => recordPrepared(n / 5, 1),
    });
    rawDb.db.close();
    fs.rmSync(rawHome.dir, { recursive: true, force: true });
    await closeAuditDb(kyDb);
    const us = (name: string, per = n) => (b(name) / per) * 1e6;
    const parts: Array<[string, number]> = [
      ['assertNoPersonalData (regexes over ids and details)', us('checks')],
      ['canonicalEntry (JSON of the event)', us('entry')],
      ['hashLeaf', us('leaf')],
      ['eventMac', us('mac')],
      ['appendToFrontier + encodeFrontier', us('frontier')],
    ];
    const whole = us('record100');
    const sum = parts.reduce((t, [, v]) => t + v, 0);
    const pct = (v: number) => `${((100 * v) / whole).toFixed(0)} %`;
    return {
      title: `Where an append goes (µs per event, best of 3; SQLite synchronous=NORMAL so no fsync is counted; checksum ${sink & 0xff})`,
      columns: ['part', 'µs/event', 'share of a record at 100/transaction'],
      rows: [
        ...parts.map(([what, v]) => [what, v.toFixed(1), pct(v)]),
        [
          "the 3 statements (INSERT event, INSERT node, UPDATE head) via Kysely's trx.executeQuery(CompiledQuery.raw(...)), 100/transaction",
          us('statementsKysely').toFixed(1),
          pct(us('statementsKysely')),
        ],
        [
          '  of which SQLite itself (the same statements in raw better-sqlite3)',
          us('statements').toFixed(1),
          pct(us('statements')),
        ],
        [
          '  of which Kysely + the SQLite driver',
          (us('statementsKysely') - us('statements')).toFixed(1),
          pct(us('statementsKysely') - us('statements')),
        ],
        [
          "remainder: audit.record's glue (awaits, head cache, clock) and GC / cache interplay (parts timed alone run faster than in sequence)",
          (whole - sum - us('statementsKysely')).toFixed(1),
          pct(whole - sum - us('statementsKysely')),
        ],
        ['audit.record, 100 events/transaction (whole)', whole.toFixed(1), '100 %'],
        [
          'audit.record, 1 event/transaction (whole, per transaction incl. BEGIN IMMEDIATE, head read, COMMIT)',
          us('record1', n / 5).toFixed(1),
          '—',
        ],
        [
          '  the same 3 statements at 1/transaction in raw better-sqlite3 (BEGIN IMMEDIATE … COMMIT)',
          us('statements1', n / 5).toFixed(1),
          '—',
        ],
      ],
    };
  } finally {
    await closeAuditDb(a);
  }
}

export async function run(): Promise<BenchReport> {
  // CUSTOS_BENCH_AUDIT=verify runs only the verification part (e.g. after a change to it).
  const part = process.env.CUSTOS_BENCH_AUDIT;
  const append = part === 'verify' ? null : await appendBench();
  const breakdown = part === 'verify' ? null : await appendBreakdown();
  const verify = await verifyBench();
  return {
    name: 'audit',
    title: 'Audit log: appends on SQLite and verification',
    headlines: [...(append?.headlines ?? []), ...verify.headlines],
    tables: [...(append && breakdown ? [append.table, breakdown] : []), ...verify.tables],
    notes: [...(append?.notes ?? []), ...verify.notes],
  };
}

export const bench: Bench = { name: 'audit', run };
