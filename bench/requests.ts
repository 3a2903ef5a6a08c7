// Rights-request fulfilment at scale (issue 4 item 10): in a store of N subjects / 5N records
// (N = CUSTOS_BENCH_SUBJECTS, default 1,000,000), on SQLite and PostgreSQL, the time to answer an
// access request for one person holding 20 records, and the time to erase one person.
//
// Each database is measured in a fresh child process over the cached store of bench/generate.ts.
// The child adds K target subjects (CUSTOS_BENCH_REQUEST_TARGETS, default 30, after
// CUSTOS_BENCH_REQUEST_WARMUP = 3 unmeasured ones), each with 20 PI records under three purposes
// (contract, consultation, marketing; e-mail and phone three and two times, so five blind indexes),
// through createSubject — the API's own service call. For each target, through the real code path:
//   access    submitRequest (intake: sealed contact, dedupe, verification code queued in the outbox)
//             → the code read from the queued mail, as the person would → verifyRequest (matches
//             the subject by blind index, opens the request with its deadlines) → startRequest
//             → fulfilRequest, the timed call that gathers and decrypts the records, builds the ZIP
//             (JSON + CSV + readmes + disclosures + request history), seals and stores it, moves
//             the request to fulfilled and queues the reply. Outside the timing the package is
//             downloaded through its link and checked to hold the 20 records.
//   deletion  the same sequence with a deletion request for the same person: fulfilRequest deletes
//             the records and blind indexes, destroys the data key and leaves a tombstone.
//   erase     eraseSubject (the staff erasure without a request) on a second, fresh target.
// The store keeps what the workflow leaves behind for erased people: tombstones, the closed
// requests, their audit events and the replies to them still queued in the outbox (sealed with
// per-message keys; the bench stores have no mail server), plus one staff account per run.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import type { Principal } from '../src/access/principal.js';
import { permissionsOf } from '../src/access/permissions.js';
import { createUser } from '../src/access/users.js';
import type { AppContext } from '../src/context.js';
import { openMail } from '../src/notify/outbox.js';
import { downloadFile } from '../src/requests/fulfil/files.js';
import type { RequestType } from '../src/requests/contracts.js';
import { submitRequest } from '../src/requests/intake.js';
import { fulfilRequest, startRequest } from '../src/requests/service.js';
import { verifyRequest } from '../src/requests/verification.js';
import type { NewRecord } from '../src/subjects/schema.js';
import { createSubject, eraseSubject } from '../src/subjects/service.js';
import {
  DB_KINDS,
  RECORDS_PER_SUBJECT,
  benchSubjects,
  ensureDataset,
  openBenchContext,
  type DatasetInfo,
  type DbKind,
} from './generate.js';
import { Mulberry32, fmt, quantile, type Bench, type BenchReport, type Table } from './run.js';

const TARGETS = Number(process.env.CUSTOS_BENCH_REQUEST_TARGETS ?? 30);
const WARMUP = Number(process.env.CUSTOS_BENCH_REQUEST_WARMUP ?? 3);
const RECORDS_PER_TARGET = 20;

interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  max: number;
}

function summarise(ms: number[]): LatencySummary {
  const s = [...ms].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    max: s[s.length - 1] ?? Number.NaN,
  };
}

/** The timed paths, in the order of the report. */
const PATHS = [
  ['create', 'createSubject with 20 records (setup of each target)'],
  ['access.fulfil', 'access: fulfilRequest (gather, decrypt, ZIP, seal, store, reply)'],
  ['access.whole', 'access: submit → code from the mail → verify → start → fulfil'],
  ['deletion.fulfil', 'deletion: fulfilRequest (delete, shred key, tombstone, reply)'],
  ['deletion.whole', 'deletion: submit → code from the mail → verify → start → fulfil'],
  ['erase', 'eraseSubject (staff erasure, no request)'],
] as const;
type PathKey = (typeof PATHS)[number][0];

interface ChildResult {
  kind: DbKind;
  subjects: number;
  targets: number;
  paths: Record<PathKey, LatencySummary>;
  /** Mean size of the access packages, bytes. */
  packageBytes: number;
}

/** Twenty records of one person: what a customer who also asked a question and subscribed has. */
function targetRecords(email: string, phone: string, r: Mulberry32): NewRecord[] {
  const rec = (category: string, purpose: string, value: string): NewRecord => ({
    category,
    purpose,
    value,
    source: 'web_form',
  });
  const street = () => `${1 + r.int(999)}号`;
  return [
    rec('name', 'contract', '欧阳明华'),
    rec('email', 'contract', email),
    rec('phone', 'contract', phone),
    rec('address', 'contract', `上海市浦东新区世纪大道${street()}阳光花园3栋1单元1201室`),
    rec('address', 'contract', `北京市海淀区学院路${street()}碧水大厦12层`),
    rec('address', 'contract', `广东省深圳市南山区科技园路${street()}万科公寓5栋`),
    rec('company', 'contract', '上海明华贸易有限公司'),
    rec('bank_card', 'contract', `6222 0210 ${r.digits(4)} ${r.digits(4)} 789`),
    rec('email', 'consultation', email),
    rec('phone', 'consultation', phone),
    rec('name', 'consultation', '欧阳明华'),
    rec('company', 'consultation', '上海明华贸易有限公司'),
    rec('location', 'consultation', '上海市浦东新区'),
    rec('free_text', 'consultation', '客户来电咨询订单配送进度，已告知预计送达时间。'),
    rec('free_text', 'consultation', 'Customer asked for a copy of their personal data.'),
    rec('free_text', 'consultation', '客户要求开具增值税普通发票，抬头为个人。'),
    rec('free_text', 'consultation', 'Prefers to be contacted by phone after 18:00.'),
    rec('email', 'marketing', email),
    rec('name', 'marketing', '欧阳明华'),
    rec('company', 'marketing', '上海明华贸易有限公司'),
  ];
}

/** A real staff account (the workflow records who handled a request) as an in-process caller. */
async function benchHandler(ctx: AppContext): Promise<Principal> {
  const created = await createUser(
    ctx,
    { type: 'system', id: null },
    {
      email: `bench.handler.${randomBytes(6).toString('hex')}@example.org`,
      roles: ['privacy_officer'],
      controllers: 'all',
      password: `bench-${randomBytes(12).toString('hex')}-Pw!`,
      totp: true,
    },
  );
  return {
    via: 'session',
    userId: created.id,
    roles: ['privacy_officer'],
    permissions: permissionsOf(['privacy_officer']),
    controllers: 'all',
    sessionId: null,
    tokenId: null,
  };
}

/** The parameters of a request's queued mail with this cause, opened as the mail sender would. */
async function mailParams(ctx: AppContext, requestId: string, cause: string) {
  const row = await ctx.store.db
    .selectFrom('outbox')
    .selectAll()
    .where('dedupe_key', 'like', `request:${requestId}:${cause}%`)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
  const mail = await openMail(ctx, ctx.store.db, row);
  if (mail === null) throw new Error(`the ${cause} mail of a request cannot be opened`);
  return mail.params as Record<string, unknown>;
}

/** One request from submission to fulfilment; times the whole and the fulfilment call. */
async function answer(
  ctx: AppContext,
  caller: Principal,
  type: RequestType,
  email: string,
): Promise<{ id: string; whole: number; fulfil: number }> {
  const t0 = performance.now();
  const submitted = await submitRequest(ctx, { type, channel: 'api', lang: 'en', email });
  if (submitted.duplicate || submitted.verification !== 'email')
    throw new Error('a benchmark request was not accepted as a new e-mail-verified request');
  const { code } = await mailParams(ctx, submitted.id, 'code:');
  if (typeof code !== 'string') throw new Error('the code mail has no code');
  const verified = await verifyRequest(ctx, submitted.id, { token: submitted.statusToken, code });
  if (!verified.subjectMatched) throw new Error('the request was not matched to its subject');
  await startRequest(ctx, caller, submitted.id);
  const t1 = performance.now();
  const done = await fulfilRequest(ctx, caller, submitted.id, {});
  const t2 = performance.now();
  if (done.status !== 'fulfilled') throw new Error(`request ended ${done.status}`);
  return { id: submitted.id, whole: t2 - t0, fulfil: t2 - t1 };
}

/** Downloads the access package through the link in the reply and checks it is complete. */
async function checkPackage(ctx: AppContext, requestId: string): Promise<number> {
  const { downloadUrl } = await mailParams(ctx, requestId, 'fulfilled:');
  if (typeof downloadUrl !== 'string') throw new Error('the reply has no download link');
  const link = new URL(downloadUrl);
  const fileId = link.pathname.split('/').pop() ?? '';
  const file = await downloadFile(ctx, fileId, link.searchParams.get('token') ?? '', {
    ipPrefix: '127.0.0.0/24',
  });
  const files = unzipSync(new Uint8Array(file.content));
  const data = JSON.parse(strFromU8(files['data.json'] ?? new Uint8Array())) as {
    records?: unknown[];
  };
  const csvLines = strFromU8(files['data.csv'] ?? new Uint8Array())
    .split('\n')
    .filter((l) => l !== '');
  if (data.records?.length !== RECORDS_PER_TARGET || csvLines.length !== RECORDS_PER_TARGET + 1)
    throw new Error('the access package does not hold the 20 records');
  return file.content.length;
}

async function subjectGone(ctx: AppContext, subjectId: string): Promise<void> {
  const subject = await ctx.store.db
    .selectFrom('subjects')
    .select('status')
    .where('id', '=', subjectId)
    .executeTakeFirstOrThrow();
  const left = await ctx.store.db
    .selectFrom('pi_records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('subject_id', '=', subjectId)
    .executeTakeFirstOrThrow();
  if (subject.status !== 'erased' || Number(left.n) !== 0)
    throw new Error('an erased subject still has records');
}

async function child(kind: DbKind, subjects: number): Promise<ChildResult> {
  const ctx = await openBenchContext(kind, subjects, { synchronous: 'FULL' });
  try {
    const caller = await benchHandler(ctx);
    // A fresh tag per run: earlier runs' requests from the same address would count as repeats
    // (GB/T 35273 §8.7 fee flag) and stop the workflow.
    const tag = randomBytes(4).toString('hex');
    const r = new Mulberry32(Number.parseInt(tag, 16));
    const times: Record<PathKey, number[]> = {
      create: [],
      'access.fulfil': [],
      'access.whole': [],
      'deletion.fulfil': [],
      'deletion.whole': [],
      erase: [],
    };
    let packageBytes = 0;
    for (let i = 0; i < WARMUP + TARGETS; i++) {
      const measured = i >= WARMUP;
      const keep = (path: PathKey, ms: number) => {
        if (measured) times[path].push(ms);
      };
      const person = (n: number) => {
        const email = `bench.req.${tag}.${i}.${n}@example.org`;
        return { email, records: targetRecords(email, `139${r.digits(8)}`, r) };
      };

      // Access, then deletion, for the same person.
      const { email, records } = person(1);
      let t0 = performance.now();
      const target = await createSubject(ctx, caller, { records });
      keep('create', performance.now() - t0);
      const access = await answer(ctx, caller, 'access', email);
      keep('access.fulfil', access.fulfil);
      keep('access.whole', access.whole);
      const bytes = await checkPackage(ctx, access.id);
      if (measured) packageBytes += bytes;
      const deletion = await answer(ctx, caller, 'deletion', email);
      keep('deletion.fulfil', deletion.fulfil);
      keep('deletion.whole', deletion.whole);
      await subjectGone(ctx, target.id);

      // Staff erasure of a second person.
      const other = await createSubject(ctx, caller, { records: person(2).records });
      t0 = performance.now();
      await eraseSubject(ctx, caller, other.id, 'benchmark erasure of a generated test person');
      keep('erase', performance.now() - t0);
      await subjectGone(ctx, other.id);
    }
    const paths = Object.fromEntries(PATHS.map(([key]) => [key, summarise(times[key])])) as Record<
      PathKey,
      LatencySummary
    >;
    return { kind, subjects, targets: TARGETS, paths, packageBytes: packageBytes / TARGETS };
  } finally {
    await ctx.keyring.flushUsage(ctx.store.db).catch(() => undefined);
    await ctx.store.close();
  }
}

const RESULT_PREFIX = '@@requests-result ';

function runChild(kind: DbKind, subjects: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--child', kind, String(subjects)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => (out += chunk));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined)
        return reject(new Error(`requests child ${kind}/${subjects} failed (exit ${code})`));
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult);
    });
  });
}

const ms = (v: number) => v.toFixed(1);

export async function run(): Promise<BenchReport> {
  const subjects = benchSubjects();
  const datasets: DatasetInfo[] = [];
  for (const kind of DB_KINDS) datasets.push(await ensureDataset(kind, subjects));
  const results: ChildResult[] = [];
  for (const kind of DB_KINDS) results.push(await runChild(kind, subjects));

  const headlines = results.flatMap((r) => {
    const line = (key: PathKey, what: string) => ({
      what: `${r.kind}: ${what}, p50 / p95 at ${fmt(r.subjects)} subjects`,
      value: `${ms(r.paths[key].p50)} / ${ms(r.paths[key].p95)} ms`,
      target: '(information)',
      met: null,
    });
    return [
      line('access.fulfil', 'access request for a person with 20 records, fulfilment call'),
      line('access.whole', 'access request, submit to fulfilled'),
      line('deletion.fulfil', 'erasure by deletion request, fulfilment call'),
      line('erase', 'erasure by eraseSubject'),
    ];
  });
  const tables: Table[] = [
    {
      title: 'Data sets (bench/generate.ts, seed 0x5eedc057; targets are added on top)',
      columns: ['database', 'subjects', 'records', 'on disk (MiB)', 'this run'],
      rows: datasets.map((d) => [
        d.kind,
        fmt(d.subjects),
        fmt(d.records),
        fmt(d.bytes / 2 ** 20, 1),
        d.generatedNow ? 'generated' : `cached (generated ${d.generatedAt})`,
      ]),
    },
    {
      title: `Latency in ms per target (${fmt(TARGETS)} targets after ${WARMUP} warm-up, ${RECORDS_PER_TARGET} records each)`,
      columns: ['database', 'subjects', 'path', 'n', 'p50', 'p95', 'mean', 'max'],
      rows: results.flatMap((r) =>
        PATHS.map(([key, label]) => {
          const s = r.paths[key];
          return [r.kind, fmt(r.subjects), label, s.n, ms(s.p50), ms(s.p95), ms(s.mean), ms(s.max)];
        }),
      ),
    },
  ];
  return {
    name: 'requests',
    title: `Rights-request fulfilment (${fmt(subjects)} subjects / ${fmt(subjects * RECORDS_PER_SUBJECT)} records)`,
    headlines,
    tables,
    notes: [
      `Access packages averaged ${results.map((r) => `${fmt(r.packageBytes / 1024, 1)} KiB (${r.kind})`).join(', ')}; each was downloaded through its link and checked to hold the 20 records (outside the timing).`,
      'fulfilRequest is one transaction (row lock, fulfilment, state change, history, audit events, reply queued in the outbox) followed on SQLite by the WAL checkpoint that scrubs erased pages; SQLite runs with synchronous=FULL.',
      'whole = submitRequest + reading the code from the queued mail + verifyRequest + startRequest + fulfilRequest: four committed transactions and the read, in-process (no HTTP).',
    ],
  };
}

export const bench: Bench = { name: 'requests', run };

if (process.argv.includes('--child')) {
  const [kind, n] = process.argv.slice(process.argv.indexOf('--child') + 1);
  if (kind !== 'sqlite' && kind !== 'postgres')
    throw new Error('usage: requests.ts --child sqlite|postgres <subjects>');
  const result = await child(kind, Number(n));
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
