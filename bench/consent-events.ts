// Consent events accepted per second over HTTP (issue 5 item 8), on SQLite and PostgreSQL, against
// a bare Fastify 5 route measured in the same run.
//
//   reference  a Fastify app with no plugins and one route, POST /ref → 201 {}, in its own process
//   Custos     the real server (`tsx src/main.ts serve`, the same as `npm run dev`: migrations,
//              every plugin, hook and job) in its own process, on a fresh SQLite data folder or a
//              fresh PostgreSQL database `custos_bench_consent` (dropped afterwards), with the
//              per-network limit of the route off (CUSTOS_CONSENT_EVENTS_PER_MINUTE=0) and
//              otherwise default settings (SQLite synchronous=FULL, log level info) unless
//              CUSTOS_SQLITE_SYNCHRONOUS / CUSTOS_LOG_LEVEL are set for the benchmark
//
// autocannon drives both from this process with the same connections, duration and bodies: every
// request is a banner choice of a new random visitor (`ConsentEventBody` in src/consent/schema.ts),
// deciding `analytics` and `functional` (grant/deny mixed; `marketing`, a separate-consent
// category, is never bundled). Each side gets a warm-up run, then the measured run; the reference
// is measured right before Custos for each database, so every ratio compares two figures taken
// minutes apart. Afterwards the ledger is counted: rows in consent_records must be 2 per accepted
// event, each covered by a consent.batch audit event (one per group-committed flush).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ConsentEventBody } from '../src/consent/schema.js';
import { fmt, pgServerUrl, quantile, type Bench, type BenchReport, type Table } from './run.js';

const CONNECTIONS = Number(process.env.CUSTOS_BENCH_CONSENT_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.CUSTOS_BENCH_CONSENT_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.CUSTOS_BENCH_CONSENT_WARMUP ?? 2);
const RATIO_TARGET = 0.5;
const P99_TARGET_MS = 20;
const PG_DATABASE = 'custos_bench_consent';
const EVENTS_PATH = '/api/v1/consent/events';
/** Decisions per event: the ledger must hold this many rows per accepted event. */
const DECISIONS = 2;
const here = path.dirname(fileURLToPath(import.meta.url));

type DbKind = 'sqlite' | 'postgres';
/** CUSTOS_BENCH_CONSENT_DBS=sqlite (or postgres) measures one database only. */
const DB_KINDS: readonly DbKind[] = (['sqlite', 'postgres'] as const).filter((k) =>
  (process.env.CUSTOS_BENCH_CONSENT_DBS ?? 'sqlite,postgres').split(',').includes(k),
);

/**
 * A policy version never published: the server parses, validates against the schema and checks
 * the event against the catalog, then refuses it (400 naming /body/policyVersion) with nothing
 * queued or written. The rate of such refusals is what the route costs without any storage work:
 * the ceiling for accepted events on this machine.
 */
const UNPUBLISHED_VERSION = '1999.1';

/** One banner choice of a new visitor. */
export function eventBody(policyVersion = '2026.1'): ConsentEventBody {
  const analytics = Math.random() < 0.5;
  const functional = Math.random() < 0.5;
  return {
    visitorId: randomUUID(),
    policyVersion,
    lang: 'en',
    method: 'banner',
    action:
      analytics && functional ? 'accept_all' : !analytics && !functional ? 'reject_all' : 'save',
    decisions: [
      { category: 'analytics', granted: analytics },
      { category: 'functional', granted: functional },
    ],
  };
}

interface LoadResult {
  target: string;
  /** Mean 2xx answers per second over the measured run. */
  rps: number;
  /** Mean answers of any status per second. */
  answered: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  sent: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Status codes other than 2xx, with counts, to say what went wrong. */
  statuses: Record<string, number>;
}

/** Runs autocannon against `url` with fresh event bodies; latencies are collected per response. */
function load(url: string, seconds: number, policyVersion?: string): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              origin: 'https://www.example.com',
            },
            // A new visitor per request: a fixed body would measure one visitor's ledger.
            setupRequest: (req) => ({ ...req, body: JSON.stringify(eventBody(policyVersion)) }),
          },
        ],
      },
      (error: unknown, result) => {
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error('autocannon failed'));
          return;
        }
        const s = latencies.sort((a, b) => a - b);
        resolve({
          target: url,
          rps: result['2xx'] / result.duration,
          answered: (result['2xx'] + result.non2xx) / result.duration,
          p50: quantile(s, 0.5),
          p95: quantile(s, 0.95),
          p99: quantile(s, 0.99),
          max: s[s.length - 1] ?? Number.NaN,
          sent: result.requests.sent,
          ok2xx: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statuses,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (statusCode < 200 || statusCode > 299)
        statuses[String(statusCode)] = (statuses[String(statusCode)] ?? 0) + 1;
    });
  });
}

/** A port nobody listens on right now (the child binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

interface Server {
  base: string;
  stop(): Promise<void>;
}

/** Starts a child process and waits until `ready` answers true. */
async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  base: string,
  ready: (res: Response) => boolean,
): Promise<Server> {
  // stdout (the request log) goes to /dev/null: a pipe would make this process, which also runs
  // the load generator, read every log line.
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, ...args], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error(`server ${args.join(' ')} exited during start-up`);
    try {
      if (ready(await fetch(`${base}/readyz`))) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server ${args.join(' ')} did not become ready`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

async function startReference(): Promise<Server> {
  const port = await freePort();
  return startChild(
    [fileURLToPath(import.meta.url), '--reference', String(port)],
    { ...process.env },
    `http://127.0.0.1:${port}`,
    // Any answer means it listens (the reference has no readiness route).
    () => true,
  );
}

/** The store of one run: a fresh SQLite folder or a fresh PostgreSQL database. */
interface Store {
  env: NodeJS.ProcessEnv;
  count(): Promise<Counts>;
  drop(): Promise<void>;
}

async function withPg<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${pgServerUrl()}/${database}` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const COUNT_SQL = `select
  (select count(*) from consent_records) as records,
  (select count(*) from consent_records where audit_seq is not null) as covered,
  (select count(*) from audit_events where action = 'consent.batch') as batches`;

interface Counts {
  records: number;
  /** Records naming the audit event that covers them. */
  covered: number;
  /** consent.batch audit events (one per flush). */
  batches: number;
}

const counts = (r: Record<keyof Counts, unknown> | undefined): Counts => ({
  records: Number(r?.records),
  covered: Number(r?.covered),
  batches: Number(r?.batches),
});

async function freshStore(kind: DbKind): Promise<Store> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-bench-consent-'));
  const common = {
    CUSTOS_DATA_DIR: dataDir,
    CUSTOS_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  if (kind === 'sqlite') {
    const file = path.join(dataDir, 'custos.db');
    return {
      env: { ...common, CUSTOS_DB: '' },
      async count() {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        try {
          return counts(db.prepare(COUNT_SQL).get() as Record<keyof Counts, unknown>);
        } finally {
          db.close();
        }
      },
      async drop() {
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  await withPg('postgres', async (c) => {
    await c.query(`drop database if exists ${PG_DATABASE} with (force)`);
    await c.query(`create database ${PG_DATABASE}`);
  });
  return {
    env: { ...common, CUSTOS_DB: `${pgServerUrl()}/${PG_DATABASE}` },
    count: () =>
      withPg(PG_DATABASE, async (c) => {
        const r = await c.query<Record<keyof Counts, string>>(COUNT_SQL);
        return counts(r.rows[0]);
      }),
    async drop() {
      await withPg('postgres', (c) =>
        c.query(`drop database if exists ${PG_DATABASE} with (force)`),
      );
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startCustos(store: Store): Promise<Server> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  return startChild(
    [path.join(here, '..', 'src', 'main.ts'), 'serve'],
    {
      ...process.env,
      CUSTOS_ENV: 'production',
      CUSTOS_HOST: '127.0.0.1',
      CUSTOS_PORT: String(port),
      CUSTOS_BASE_URL: 'https://privacy.bench.invalid',
      CUSTOS_CONSENT_EVENTS_PER_MINUTE: '0',
      ...store.env,
    },
    base,
    (res) => res.status === 200,
  );
}

interface DbRun {
  kind: DbKind;
  reference: LoadResult;
  custos: LoadResult;
  /** Ledger rows, covered rows and batch events written by the measured run (after minus before). */
  written: Counts;
  /** The same route fed events of an unpublished policy version: all refused, nothing written. */
  refused: LoadResult;
  /** Ledger rows written during the refused run (must be 0). */
  writtenByRefused: number;
}

async function measure(kind: DbKind): Promise<DbRun> {
  const ref = await startReference();
  let reference: LoadResult;
  try {
    await load(`${ref.base}/ref`, WARMUP_SECONDS);
    reference = await load(`${ref.base}/ref`, SECONDS);
  } finally {
    await ref.stop();
  }
  const store = await freshStore(kind);
  try {
    const server = await startCustos(store);
    let custos: LoadResult;
    let before: Counts;
    let after: Counts;
    let refused: LoadResult;
    try {
      const warm = await load(`${server.base}${EVENTS_PATH}`, WARMUP_SECONDS);
      if (warm.ok2xx === 0)
        throw new Error(
          `${kind}: no consent event was accepted during the warm-up (statuses ${JSON.stringify(warm.statuses)})`,
        );
      // Requests cut off when the warm-up stopped may still be committing.
      await new Promise((r) => setTimeout(r, 1000));
      before = await store.count();
      custos = await load(`${server.base}${EVENTS_PATH}`, SECONDS);
      await new Promise((r) => setTimeout(r, 1000));
      after = await store.count();
      refused = await load(`${server.base}${EVENTS_PATH}`, SECONDS, UNPUBLISHED_VERSION);
    } finally {
      // A graceful stop lets requests still in flight commit before the ledger is counted.
      await server.stop();
    }
    const end = await store.count();
    return {
      kind,
      reference,
      custos,
      written: {
        records: after.records - before.records,
        covered: after.covered - before.covered,
        batches: after.batches - before.batches,
      },
      refused,
      writtenByRefused: end.records - after.records,
    };
  } finally {
    await store.drop();
  }
}

const ms = (v: number) => v.toFixed(2);

export async function run(): Promise<BenchReport> {
  const runs: DbRun[] = [];
  for (const kind of DB_KINDS) runs.push(await measure(kind));

  const headlines = runs.flatMap((r) => {
    const ratio = r.custos.rps / r.reference.rps;
    const clean = r.custos.non2xx === 0 && r.custos.errors === 0;
    return [
      {
        what: `${r.kind}: consent events accepted/s ÷ bare Fastify 201 route (${CONNECTIONS} connections)`,
        value: `${ratio.toFixed(3)} (${fmt(r.custos.rps)} / ${fmt(r.reference.rps)} req/s)`,
        target: `≥ ${RATIO_TARGET}`,
        met: ratio >= RATIO_TARGET && clean,
      },
      {
        what: `${r.kind}: POST ${EVENTS_PATH} latency p99 (p50 / p95)`,
        value: `${ms(r.custos.p99)} ms (${ms(r.custos.p50)} / ${ms(r.custos.p95)})`,
        target: `< ${P99_TARGET_MS} ms`,
        met: r.custos.p99 < P99_TARGET_MS && clean,
      },
      {
        what: `${r.kind}: the same route refused before any write (unpublished policy version) ÷ bare route`,
        value: `${(r.refused.answered / r.reference.rps).toFixed(3)} (${fmt(r.refused.answered)} / ${fmt(r.reference.rps)} req/s, all ${Object.keys(r.refused.statuses).join(', ') || 'none'}; ${fmt(r.writtenByRefused)} rows written)`,
        target: '(ceiling)',
        met: null,
      },
    ];
  });
  const label = {
    reference: 'bare Fastify POST /ref',
    custos: `Custos POST ${EVENTS_PATH}`,
    refused: `Custos POST ${EVENTS_PATH}, refused (400)`,
  };
  const row = (r: DbRun, side: keyof typeof label) => {
    const l = r[side];
    return [
      r.kind,
      label[side],
      fmt(side === 'refused' ? l.answered : l.rps),
      ms(l.p50),
      ms(l.p95),
      ms(l.p99),
      ms(l.max),
      fmt(l.sent),
      fmt(l.ok2xx),
      l.non2xx === 0
        ? '0'
        : `${fmt(l.non2xx)} (${Object.entries(l.statuses)
            .map(([s, n]) => `${s}×${n}`)
            .join(', ')})`,
      `${l.errors} / ${l.timeouts}`,
    ];
  };
  const tables: Table[] = [
    {
      title: `Load (${CONNECTIONS} connections, ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up; latency in ms)`,
      columns: [
        'database',
        'server',
        'req/s (2xx; refused: 400)',
        'p50',
        'p95',
        'p99',
        'max',
        'sent',
        '2xx',
        'non-2xx',
        'errors / timeouts',
      ],
      rows: runs.flatMap((r) => [row(r, 'reference'), row(r, 'custos'), row(r, 'refused')]),
    },
    {
      title: `Ledger written by the measured run (${DECISIONS} decisions per event)`,
      columns: [
        'database',
        '2xx',
        `2xx × ${DECISIONS}`,
        'consent_records rows',
        'rows covered by an audit event',
        'consent.batch audit events',
        'records per batch',
        'events committed without a counted answer',
      ],
      rows: runs.map((r) => [
        r.kind,
        fmt(r.custos.ok2xx),
        fmt(r.custos.ok2xx * DECISIONS),
        fmt(r.written.records),
        fmt(r.written.covered),
        fmt(r.written.batches),
        fmt(r.written.records / Math.max(1, r.written.batches), 1),
        fmt(r.written.records / DECISIONS - r.custos.ok2xx, 1),
      ]),
    },
  ];
  return {
    name: 'consent-events',
    title: 'Consent events over HTTP (banner choices of new visitors)',
    headlines,
    tables,
    notes: [
      `Both servers run in their own process and autocannon in this one: client, server and (PostgreSQL) database server share the machine's ${os.cpus().length} cores. At the reference's rate autocannon's own core is near its limit too, so the reference figure is a floor and the true ratio, if anything, lower.`,
      `Custos runs as \`tsx src/main.ts serve\` with CUSTOS_ENV=production, SQLite synchronous=${process.env.CUSTOS_SQLITE_SYNCHRONOUS ?? 'FULL'}, log level ${process.env.CUSTOS_LOG_LEVEL ?? 'info'} (to /dev/null), the route limit off, otherwise default settings; the route validates in memory and hands the records to the group-commit writer (src/consent/writer.ts: one transaction per flush, covered by one consent.batch audit event with the Merkle root of its records), answering 201 after the commit.`,
      'Latency percentiles are computed from every response of the measured run; req/s counts 2xx answers over the run time.',
      `"refused": the same server, right after its measured run, fed the same events naming policy version ${UNPUBLISHED_VERSION}, which was never published: each is parsed, schema-validated, checked against the catalog and answered 400 with nothing queued or written. It is what the route's HTTP path costs before any storage work, so no accepted-event rate can exceed it on this machine.`,
      '"events committed without a counted answer": requests still in flight when autocannon stopped, committed by the server during its graceful stop; at most one per connection.',
    ],
  };
}

export const bench: Bench = { name: 'consent-events', run };

// The reference server, in its own process: Fastify 5, no plugins, the default JSON body parser.
if (process.argv.includes('--reference')) {
  const port = Number(process.argv[process.argv.indexOf('--reference') + 1]);
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.post('/ref', async (_request, reply) => reply.code(201).send({}));
  await app.listen({ host: '127.0.0.1', port });
  // Closed, the server holds nothing more open and the process ends with status 0.
  process.once('SIGTERM', () => void app.close());
}
