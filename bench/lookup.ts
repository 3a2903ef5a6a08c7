// Subject lookup + decryption of all PI, on SQLite and PostgreSQL, at two store sizes (N/10 and N
// subjects, N = CUSTOS_BENCH_SUBJECTS, default 1,000,000; 5 records per subject).
//
// Each measurement runs in a fresh child process so its memory figures (sampled RSS and
// process.resourceUsage().maxRSS) belong to that store size alone. In the child, for random
// existing subjects (200 warm-up, then 2,000 measured), interleaved:
//   pipeline  normalizeEmail → keyring.blindIndex('email') → subject_identifiers query →
//             openRecords (loads the records, unwraps the subject's data key, decrypts all 5)
//   service   searchSubjects (src/subjects/service.ts): the same plus the subjects row, masking,
//             an audit event and the commit (synchronous=FULL on SQLite), in-process
// and once per database at the largest size, over real HTTP: POST /api/v1/subjects/search by a
// logged-in privacy officer (session cookie + CSRF token, TOTP at login), keep-alive.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Principal } from '../src/access/principal.js';
import { permissionsOf } from '../src/access/permissions.js';
import { base32Decode, totpAt } from '../src/access/totp.js';
import { createUser } from '../src/access/users.js';
import { buildApp } from '../src/app.js';
import type { AppContext } from '../src/context.js';
import { normalizeEmail } from '../src/crypto/normalize.js';
import { newId } from '../src/db/ids.js';
import { openRecords } from '../src/subjects/records.js';
import { searchSubjects } from '../src/subjects/service.js';
import {
  BENCH_SEED,
  DB_KINDS,
  RECORDS_PER_SUBJECT,
  benchSubjects,
  ensureDataset,
  openBenchContext,
  subjectData,
  type DatasetInfo,
  type DbKind,
} from './generate.js';
import {
  Mulberry32,
  fmt,
  quantile,
  type Bench,
  type BenchReport,
  type Headline,
  type Table,
} from './run.js';

const WARMUP = Number(process.env.CUSTOS_BENCH_LOOKUP_WARMUP ?? 200);
const LOOKUPS = Number(process.env.CUSTOS_BENCH_LOOKUPS ?? 2000);
const P95_TARGET_MS = 10;
/** "Flat": peak RSS at the large store within this factor of the small store's. */
const FLAT_FACTOR = 1.2;
const MiB = 2 ** 20;

type Mode = 'inprocess' | 'http';

interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

interface ChildResult {
  kind: DbKind;
  subjects: number;
  mode: Mode;
  paths: Record<string, LatencySummary>;
  /** RSS after opening the store and warming up, before the measured lookups. */
  rssBaseline: number;
  /** Highest RSS sampled after each measured operation. */
  rssPeak: number;
  /**
   * process.resourceUsage().maxRSS in bytes. On Linux it also counts the parent's RSS at fork time
   * (getrusage keeps the pre-exec high-water mark), so it is not this child's own peak.
   */
  maxRss: number;
  /** The child's own peak RSS: VmHWM from /proc/self/status (Linux), else the sampled peak. */
  hwm: number;
  valuesDecrypted: number;
}

/** Peak resident set of this process image (VmHWM), in bytes; null where /proc is missing. */
function vmHwm(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] === undefined ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

function memory(rssBaseline: number, rssPeak: number) {
  return {
    rssBaseline,
    rssPeak,
    maxRss: process.resourceUsage().maxRSS * 1024,
    hwm: vmHwm() ?? rssPeak,
  };
}

function summarise(ms: number[]): LatencySummary {
  const s = [...ms].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    p99: quantile(s, 0.99),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    max: s[s.length - 1] ?? Number.NaN,
  };
}

/** Raw e-mails (as a person types them) of random existing subjects, fixed per store size. */
function pickEmails(subjects: number, count: number, salt: number): string[] {
  const r = new Mulberry32(0x10c0 ^ subjects ^ salt);
  return Array.from({ length: count }, () => subjectData(BENCH_SEED, r.int(subjects)).email);
}

/** The in-process pipeline; returns the number of values decrypted. */
async function lookupAndDecrypt(ctx: AppContext, rawEmail: string): Promise<number> {
  const email = normalizeEmail(rawEmail);
  if (email === null) throw new Error('generated e-mail does not normalise');
  const digest = ctx.keyring.blindIndex('email', email);
  const ids = await ctx.store.db
    .selectFrom('subject_identifiers')
    .select('subject_id')
    .distinct()
    .where('kind', '=', 'email')
    .where('digest', '=', digest)
    .limit(50)
    .execute();
  let values = 0;
  for (const { subject_id } of ids) {
    const records = await openRecords(ctx, ctx.store.db, subject_id);
    const found = records.find((r) => r.row.category === 'email');
    if (records.length !== RECORDS_PER_SUBJECT || found?.value !== email)
      throw new Error(`subject ${subject_id} did not decrypt to its 5 records`);
    values += records.length;
  }
  if (ids.length !== 1) throw new Error(`expected one subject for an e-mail, found ${ids.length}`);
  return values;
}

const benchPrincipal = (): Principal => ({
  via: 'session',
  userId: newId(),
  roles: ['privacy_officer'],
  permissions: permissionsOf(['privacy_officer']),
  controllers: 'all',
  sessionId: null,
  tokenId: null,
});

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function childInProcess(ctx: AppContext, subjects: number): Promise<ChildResult> {
  const principal = benchPrincipal();
  const pipelineEmails = pickEmails(subjects, WARMUP + LOOKUPS, 1);
  const serviceEmails = pickEmails(subjects, WARMUP + LOOKUPS, 2);
  const service = async (email: string) => {
    const r = await searchSubjects(ctx, principal, { email });
    if (r.items.length !== 1) throw new Error('service search did not find the subject');
  };
  for (let i = 0; i < WARMUP; i++) {
    await lookupAndDecrypt(ctx, pipelineEmails[i]!);
    await service(serviceEmails[i]!);
  }
  const rssBaseline = process.memoryUsage.rss();
  let rssPeak = rssBaseline;
  const pipeline: number[] = [];
  const svc: number[] = [];
  let valuesDecrypted = 0;
  for (let i = WARMUP; i < WARMUP + LOOKUPS; i++) {
    const t0 = performance.now();
    valuesDecrypted += await lookupAndDecrypt(ctx, pipelineEmails[i]!);
    pipeline.push(performance.now() - t0);
    svc.push(await timeMs(() => service(serviceEmails[i]!)));
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }
  return {
    kind: ctx.store.dialect,
    subjects,
    mode: 'inprocess',
    paths: { pipeline: summarise(pipeline), service: summarise(svc) },
    ...memory(rssBaseline, rssPeak),
    valuesDecrypted,
  };
}

interface Session {
  base: string;
  cookie: string;
  csrf: string;
}

/** Creates a privacy officer (TOTP enrolled, as the role demands) and logs in over HTTP. */
async function loginPrivacyOfficer(ctx: AppContext, base: string): Promise<Session> {
  const email = `bench.officer.${newId().slice(-12)}@example.org`;
  const password = `bench-${newId()}-Pw!`;
  const created = await createUser(
    ctx,
    { type: 'system', id: null },
    { email, roles: ['privacy_officer'], controllers: 'all', password, totp: true },
  );
  if (created.totpUri === null || created.totpUri === undefined)
    throw new Error('privacy officer has no TOTP secret');
  const secret = base32Decode(new URL(created.totpUri).searchParams.get('secret') ?? '');
  const totp = totpAt(secret, Math.floor(Date.now() / 1000));
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, totp }),
  });
  const body = (await res.json()) as { csrfToken?: string };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  if (res.status !== 200 || body.csrfToken === undefined || !cookie.startsWith('custos_session='))
    throw new Error(`login failed with status ${res.status}`);
  return { base, cookie, csrf: body.csrfToken };
}

async function httpSearch(s: Session, email: string): Promise<void> {
  const res = await fetch(`${s.base}/api/v1/subjects/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
    body: JSON.stringify({ email }),
  });
  const body = (await res.json()) as { items?: unknown[] };
  if (res.status !== 200 || body.items?.length !== 1)
    throw new Error(`HTTP search failed with status ${res.status}`);
}

async function childHttp(ctx: AppContext, subjects: number): Promise<ChildResult> {
  const app = await buildApp(ctx);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const session = await loginPrivacyOfficer(ctx, base);
    const emails = pickEmails(subjects, WARMUP + LOOKUPS, 3);
    for (let i = 0; i < WARMUP; i++) await httpSearch(session, emails[i]!);
    const rssBaseline = process.memoryUsage.rss();
    let rssPeak = rssBaseline;
    const ms: number[] = [];
    for (let i = WARMUP; i < WARMUP + LOOKUPS; i++) {
      ms.push(await timeMs(() => httpSearch(session, emails[i]!)));
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    }
    return {
      kind: ctx.store.dialect,
      subjects,
      mode: 'http',
      paths: { http: summarise(ms) },
      ...memory(rssBaseline, rssPeak),
      valuesDecrypted: LOOKUPS * RECORDS_PER_SUBJECT,
    };
  } finally {
    await app.close();
  }
}

const RESULT_PREFIX = '@@lookup-result ';

async function child(kind: DbKind, subjects: number, mode: Mode): Promise<void> {
  // Production settings: synchronous=FULL on SQLite.
  const ctx = await openBenchContext(kind, subjects, { synchronous: 'FULL' });
  try {
    const result =
      mode === 'http' ? await childHttp(ctx, subjects) : await childInProcess(ctx, subjects);
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  } finally {
    await ctx.keyring.flushUsage(ctx.store.db).catch(() => undefined);
    await ctx.store.close();
  }
}

function runChild(kind: DbKind, subjects: number, mode: Mode): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--child',
        kind,
        String(subjects),
        mode,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => (out += chunk));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined)
        return reject(new Error(`lookup child ${kind}/${subjects}/${mode} failed (exit ${code})`));
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult);
    });
  });
}

const ms = (v: number) => v.toFixed(2);
const mib = (b: number) => fmt(b / MiB, 1);

export async function run(): Promise<BenchReport> {
  const large = benchSubjects();
  const sizes = [Math.max(10, Math.round(large / 10)), large];
  const datasets: DatasetInfo[] = [];
  for (const kind of DB_KINDS) for (const n of sizes) datasets.push(await ensureDataset(kind, n));

  // Measurements, interleaving databases within each size.
  const results: ChildResult[] = [];
  for (const n of sizes)
    for (const kind of DB_KINDS) results.push(await runChild(kind, n, 'inprocess'));
  for (const kind of DB_KINDS) results.push(await runChild(kind, large, 'http'));

  const find = (kind: DbKind, n: number, mode: Mode) =>
    results.find((r) => r.kind === kind && r.subjects === n && r.mode === mode);
  const headlines: Headline[] = [];
  for (const kind of DB_KINDS) {
    const big = find(kind, large, 'inprocess');
    const small = find(kind, sizes[0]!, 'inprocess');
    const http = find(kind, large, 'http');
    if (big === undefined || small === undefined) continue;
    const p95 = big.paths.pipeline?.p95 ?? Number.NaN;
    headlines.push({
      what: `${kind}: lookup + decrypt all PI, p95 at ${fmt(large)} subjects (in-process pipeline)`,
      value: `${ms(p95)} ms`,
      target: `< ${P95_TARGET_MS} ms`,
      met: p95 < P95_TARGET_MS,
    });
    const svc = big.paths.service?.p95 ?? Number.NaN;
    headlines.push({
      what: `${kind}: searchSubjects service call (incl. audit append + commit), p95 at ${fmt(large)}`,
      value: `${ms(svc)} ms`,
      target: `(information; < ${P95_TARGET_MS} ms)`,
      met: null,
    });
    if (http !== undefined) {
      const h = http.paths.http;
      headlines.push({
        what: `${kind}: HTTP POST /api/v1/subjects/search, p50 / p95 at ${fmt(large)}`,
        value: `${ms(h?.p50 ?? Number.NaN)} / ${ms(h?.p95 ?? Number.NaN)} ms`,
        target: '(information)',
        met: null,
      });
    }
    const factor = big.hwm / small.hwm;
    headlines.push({
      what: `${kind}: peak RSS (VmHWM) at ${fmt(large)} ÷ at ${fmt(sizes[0]!)} subjects`,
      value: `${factor.toFixed(3)} (${mib(big.hwm)} / ${mib(small.hwm)} MiB)`,
      target: `flat (≤ ${FLAT_FACTOR})`,
      met: factor <= FLAT_FACTOR,
    });
  }

  const latencyRows: Array<Array<string | number>> = [];
  for (const r of results)
    for (const [pathName, s] of Object.entries(r.paths))
      latencyRows.push([
        r.kind,
        fmt(r.subjects),
        fmt(r.subjects * RECORDS_PER_SUBJECT),
        pathName,
        fmt(s.n),
        ms(s.p50),
        ms(s.p95),
        ms(s.p99),
        ms(s.mean),
        ms(s.max),
      ]);
  const memoryRows = results.map((r) => [
    r.kind,
    fmt(r.subjects),
    r.mode === 'http' ? 'HTTP server + client' : 'pipeline + service',
    mib(r.rssBaseline),
    mib(r.rssPeak),
    mib(r.hwm),
    mib(r.maxRss),
  ]);
  const tables: Table[] = [
    {
      title:
        'Data sets (deterministic generator, seed 0x5eedc057; real keyring / encryptField / blind-index format)',
      columns: ['database', 'subjects', 'records', 'generation (s)', 'on disk (MiB)', 'this run'],
      rows: datasets.map((d) => [
        d.kind,
        fmt(d.subjects),
        fmt(d.records),
        fmt(d.generationSeconds, 1),
        mib(d.bytes),
        d.generatedNow ? 'generated' : `cached (generated ${d.generatedAt})`,
      ]),
    },
    {
      title: `Latency per lookup in ms (${fmt(LOOKUPS)} random existing subjects after ${fmt(WARMUP)} warm-up; each lookup decrypts all ${RECORDS_PER_SUBJECT} records)`,
      columns: ['database', 'subjects', 'records', 'path', 'n', 'p50', 'p95', 'p99', 'mean', 'max'],
      rows: latencyRows,
    },
    {
      title: 'Memory of the measuring process (MiB), one fresh process per row',
      columns: [
        'database',
        'subjects',
        'workload',
        'RSS after warm-up',
        'peak RSS sampled',
        'peak RSS (VmHWM)',
        'maxRSS (resourceUsage)',
      ],
      rows: memoryRows,
    },
  ];
  return {
    name: 'lookup',
    title: `Subject lookup + decrypt of all PI (${fmt(large)} subjects / ${fmt(large * RECORDS_PER_SUBJECT)} records)`,
    headlines,
    tables,
    notes: [
      'pipeline = normalizeEmail → blindIndex → subject_identifiers → openRecords (records + data-key unwrap + 5 × decryptField), no transaction.',
      'service = searchSubjects in-process: transaction, identifier query, subjects row, openRecords, masking, audit event, commit (SQLite synchronous=FULL: one WAL fsync per lookup).',
      'http = the same service behind Fastify: session cookie + CSRF check, validation, JSON; client is Node fetch (keep-alive) on 127.0.0.1.',
      'PostgreSQL memory is server-side and not in these RSS figures; SQLite uses its default page cache (2 MiB per connection), no mmap.',
      "maxRSS (process.resourceUsage) is shown as asked but is not the child's own peak on Linux: getrusage keeps the high-water mark of the image before exec, i.e. the forked copy of the parent benchmark process; VmHWM is reset by exec and is the child's own peak.",
    ],
  };
}

export const bench: Bench = { name: 'lookup', run };

if (process.argv.includes('--child')) {
  const [kind, n, mode] = process.argv.slice(process.argv.indexOf('--child') + 1);
  if ((kind !== 'sqlite' && kind !== 'postgres') || (mode !== 'inprocess' && mode !== 'http'))
    throw new Error('usage: lookup.ts --child sqlite|postgres <subjects> inprocess|http');
  await child(kind, Number(n), mode);
}
