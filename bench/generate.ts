// Deterministic synthetic data for the lookup benchmark: N subjects with 5 PI records each (e-mail,
// CN mobile number, name, address, free text), written in Custos's real storage format:
//   - one data key per subject, created by `keyring.createDataKey` (wrapped under the active KEK);
//   - every value sealed with `encryptField` bound to (pi_records, value_enc, record id), in the
//     canonical form `checkRecords` produces (the same function the API uses);
//   - blind indexes from `keyring.blindIndex(kind, normalised)` in `subject_identifiers`.
// Only the batching differs from the API path (multi-row INSERTs, ~1,000 subjects per transaction).
//
// Subject i's plaintext depends only on (seed, i), so a lookup can recompute any subject's e-mail
// without reading the database, and the 100k store holds exactly the first 100k subjects of the 1M
// store. Ids, data keys and IVs are random, as in production.
//
// Generated stores are cached: SQLite under .bench-data/, PostgreSQL as a database
// `custos_bench_<subjects>`; a `bench_meta` table records the seed and whether generation finished.
//
//   npx tsx bench/generate.ts [sqlite|postgres|both] [subjects ...]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import type { AppContext } from '../src/context.js';
import { encryptField } from '../src/crypto/fields.js';
import { newId } from '../src/db/ids.js';
import type { StoreOptions } from '../src/db/store.js';
import { transaction } from '../src/db/store.js';
import type { Row } from '../src/db/types.js';
import { createLogger } from '../src/logger.js';
import { openContext } from '../src/server.js';
import { checkRecords, type CheckedRecord } from '../src/subjects/records.js';
import { expiryOf } from '../src/retention/expiry.js';
import { Mulberry32, pgServerUrl } from './run.js';
import type { NewRecord } from '../src/subjects/schema.js';

export type DbKind = 'sqlite' | 'postgres';
export const DB_KINDS: readonly DbKind[] = ['sqlite', 'postgres'];

/** The one seed of the benchmark data; changing it regenerates every cached store. */
export const BENCH_SEED = 0x5eedc057;
export const RECORDS_PER_SUBJECT = 5;
/** Synthetic data only: a fixed master key keeps cached stores openable across runs. */
export const BENCH_MASTER_KEY = createHash('sha256').update('custos bench master key v1').digest();
/** Bumped when the generated format changes, so stale caches are rebuilt. */
const FORMAT_VERSION = '2';
const SUBJECTS_PER_TRANSACTION = 1000;
const ROWS_PER_INSERT = 2000;

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '.bench-data');

/** Store size from CUSTOS_BENCH_SUBJECTS (default 1,000,000). */
export function benchSubjects(): number {
  const raw = process.env.CUSTOS_BENCH_SUBJECTS;
  const n = raw === undefined || raw === '' ? 1_000_000 : Number(raw);
  if (!Number.isSafeInteger(n) || n < 10)
    throw new Error(`CUSTOS_BENCH_SUBJECTS=${raw} is invalid`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// PRNG: mulberry32 streams (run.ts), one per subject, seeded from (seed, index) through a
// splitmix32 mix.

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export const subjectRng = (seed: number, index: number): Mulberry32 =>
  new Mulberry32(mix32(seed ^ mix32(index)));

// ---------------------------------------------------------------------------------------------
// Vocabulary.

const SURNAMES: ReadonlyArray<readonly [string, string]> = [
  ['王', 'wang'],
  ['李', 'li'],
  ['张', 'zhang'],
  ['刘', 'liu'],
  ['陈', 'chen'],
  ['杨', 'yang'],
  ['黄', 'huang'],
  ['赵', 'zhao'],
  ['吴', 'wu'],
  ['周', 'zhou'],
  ['徐', 'xu'],
  ['孙', 'sun'],
  ['马', 'ma'],
  ['朱', 'zhu'],
  ['胡', 'hu'],
  ['郭', 'guo'],
  ['何', 'he'],
  ['高', 'gao'],
  ['林', 'lin'],
  ['罗', 'luo'],
  ['郑', 'zheng'],
  ['梁', 'liang'],
  ['谢', 'xie'],
  ['宋', 'song'],
  ['唐', 'tang'],
  ['许', 'xu'],
  ['韩', 'han'],
  ['冯', 'feng'],
  ['邓', 'deng'],
  ['曹', 'cao'],
  ['彭', 'peng'],
  ['曾', 'zeng'],
  ['肖', 'xiao'],
  ['田', 'tian'],
  ['董', 'dong'],
  ['袁', 'yuan'],
  ['潘', 'pan'],
  ['于', 'yu'],
  ['蒋', 'jiang'],
  ['蔡', 'cai'],
  ['余', 'yu'],
  ['杜', 'du'],
  ['叶', 'ye'],
  ['程', 'cheng'],
  ['苏', 'su'],
  ['魏', 'wei'],
  ['吕', 'lv'],
  ['丁', 'ding'],
  ['任', 'ren'],
  ['沈', 'shen'],
  ['姚', 'yao'],
  ['卢', 'lu'],
  ['姜', 'jiang'],
  ['崔', 'cui'],
  ['钟', 'zhong'],
  ['谭', 'tan'],
  ['陆', 'lu'],
  ['汪', 'wang'],
  ['范', 'fan'],
  ['金', 'jin'],
  ['欧阳', 'ouyang'],
  ['司马', 'sima'],
  ['上官', 'shangguan'],
  ['诸葛', 'zhuge'],
];
const GIVEN: ReadonlyArray<readonly [string, string]> = [
  ['伟', 'wei'],
  ['芳', 'fang'],
  ['娜', 'na'],
  ['敏', 'min'],
  ['静', 'jing'],
  ['丽', 'li'],
  ['强', 'qiang'],
  ['磊', 'lei'],
  ['军', 'jun'],
  ['洋', 'yang'],
  ['勇', 'yong'],
  ['艳', 'yan'],
  ['杰', 'jie'],
  ['娟', 'juan'],
  ['涛', 'tao'],
  ['明', 'ming'],
  ['超', 'chao'],
  ['秀', 'xiu'],
  ['霞', 'xia'],
  ['平', 'ping'],
  ['刚', 'gang'],
  ['桂', 'gui'],
  ['英', 'ying'],
  ['华', 'hua'],
  ['玉', 'yu'],
  ['萍', 'ping'],
  ['红', 'hong'],
  ['建', 'jian'],
  ['文', 'wen'],
  ['辉', 'hui'],
  ['鑫', 'xin'],
  ['宇', 'yu'],
  ['浩', 'hao'],
  ['婷', 'ting'],
  ['雪', 'xue'],
  ['琳', 'lin'],
  ['晨', 'chen'],
  ['欣', 'xin'],
  ['佳', 'jia'],
  ['俊', 'jun'],
  ['博', 'bo'],
  ['思', 'si'],
  ['梓', 'zi'],
  ['涵', 'han'],
  ['子', 'zi'],
  ['轩', 'xuan'],
  ['一', 'yi'],
  ['诺', 'nuo'],
];
const EMAIL_DOMAINS = [
  'qq.com',
  'qq.com',
  '163.com',
  '163.com',
  '126.com',
  'sina.com',
  'foxmail.com',
  'gmail.com',
  'outlook.com',
  'hotmail.com',
  'aliyun.com',
  'yeah.net',
  'sohu.com',
  '139.com',
] as const;
const MOBILE_PREFIXES = [
  '130',
  '131',
  '132',
  '133',
  '134',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '153',
  '155',
  '156',
  '157',
  '158',
  '159',
  '180',
  '181',
  '182',
  '183',
  '184',
  '185',
  '186',
  '187',
  '188',
  '189',
] as const;
const PLACES: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['北京市', '北京市', ['朝阳区', '海淀区', '东城区', '西城区', '丰台区', '通州区']],
  ['上海市', '上海市', ['浦东新区', '徐汇区', '静安区', '黄浦区', '闵行区', '长宁区']],
  ['广东省', '广州市', ['天河区', '越秀区', '海珠区', '番禺区', '白云区']],
  ['广东省', '深圳市', ['南山区', '福田区', '罗湖区', '宝安区', '龙岗区']],
  ['浙江省', '杭州市', ['西湖区', '上城区', '拱墅区', '滨江区', '余杭区']],
  ['江苏省', '南京市', ['玄武区', '秦淮区', '鼓楼区', '建邺区', '江宁区']],
  ['江苏省', '苏州市', ['姑苏区', '吴中区', '相城区', '工业园区']],
  ['四川省', '成都市', ['锦江区', '青羊区', '武侯区', '成华区', '高新区']],
  ['湖北省', '武汉市', ['江岸区', '武昌区', '洪山区', '汉阳区']],
  ['陕西省', '西安市', ['雁塔区', '碑林区', '未央区', '莲湖区']],
  ['山东省', '青岛市', ['市南区', '市北区', '崂山区', '黄岛区']],
  ['福建省', '厦门市', ['思明区', '湖里区', '集美区', '海沧区']],
];
const STREETS = [
  '人民路',
  '解放路',
  '中山路',
  '建设路',
  '和平路',
  '科技园路',
  '长江路',
  '黄河路',
  '新华路',
  '文化路',
  '学院路',
  '滨江大道',
  '世纪大道',
  '南京东路',
  '江南大道',
  '高新大道',
  '友谊路',
] as const;
const ESTATES = ['花园', '小区', '公寓', '新村', '大厦', '家园', '苑', '府'] as const;
const ESTATE_NAMES = [
  '阳光',
  '碧水',
  '锦绣',
  '翠竹',
  '金色',
  '幸福',
  '万科',
  '绿地',
  '华润',
] as const;
const NOTE_SENTENCES = [
  '客户来电咨询订单配送进度，已告知预计送达时间。',
  '用户要求修改收货地址，已在系统中更新。',
  '客户反映上次购买的商品存在质量问题，申请退货。',
  '已按客户要求取消营销短信订阅。',
  '客户希望周末送货，备注给配送站。',
  '用户对售后服务表示满意。',
  '客户要求开具增值税普通发票，抬头为个人。',
  '来电核实身份后重置了登录密码。',
  '客户询问会员积分的使用规则，已详细说明。',
  '配送员联系不上客户，已改约第二天上午配送。',
  '客户投诉客服响应慢，已升级处理。',
  'Customer asked for a copy of their personal data under PIPL Art. 45.',
  'Requested that marketing e-mails stop; preference updated.',
  'Delivery failed twice, parcel returned to the warehouse.',
  'Prefers to be contacted by phone after 18:00.',
] as const;
// Purposes the seeded data map declares for these categories (migration 2026-11-28T01-00).
const PURPOSES = {
  email: 'contract',
  phone: 'contract',
  name: 'contract',
  address: 'contract',
  free_text: 'consultation',
} as const;
/** Their retention periods in the seeded data map, for each record's expiry. */
const RETENTION_DAYS: Record<string, number> = { contract: 1825, consultation: 365 };
const SOURCES = ['web_form', 'mobile_app', 'import', 'support_call'] as const;

export interface SubjectData {
  /** Unique per subject: the local part ends with the subject index in base 36. */
  email: string;
  /** A CN mobile number as a person might type it. */
  phone: string;
  name: string;
  address: string;
  freeText: string;
  collectedAt: string;
  source: string;
}

const COLLECTED_FROM = Date.UTC(2019, 0, 1);
const COLLECTED_SPAN_MS = Date.UTC(2025, 0, 1) - COLLECTED_FROM;

/** The plaintext of subject `index` (0-based); a pure function of (seed, index). */
export function subjectData(seed: number, index: number): SubjectData {
  const r = subjectRng(seed, index);
  const [surname, surnamePy] = r.pick(SURNAMES);
  const given = [r.pick(GIVEN)];
  if (r.int(10) < 7) given.push(r.pick(GIVEN));
  const name = surname + given.map((g) => g[0]).join('');
  const givenPy = given.map((g) => g[1]).join('');
  const style = r.int(4);
  const local =
    style === 0
      ? `${givenPy}.${surnamePy}`
      : style === 1
        ? `${surnamePy}${givenPy}${r.digits(2)}`
        : style === 2
          ? `${surnamePy}_${givenPy}`
          : `${surnamePy[0] ?? 'x'}${givenPy}`;
  // The suffix after the last dot is the index itself, so e-mails are unique per subject.
  const email = `${local}.${index.toString(36)}@${r.pick(EMAIL_DOMAINS)}`;
  const mobile = `${r.pick(MOBILE_PREFIXES)}${r.digits(8)}`;
  const phoneStyle = r.int(4);
  const phone =
    phoneStyle === 0
      ? mobile
      : phoneStyle === 1
        ? `+86 ${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`
        : phoneStyle === 2
          ? `${mobile.slice(0, 3)}-${mobile.slice(3, 7)}-${mobile.slice(7)}`
          : `+86${mobile}`;
  const [province, city, districts] = r.pick(PLACES);
  const address =
    `${province === city ? '' : province}${city}${r.pick(districts)}${r.pick(STREETS)}` +
    `${1 + r.int(999)}号${r.pick(ESTATE_NAMES)}${r.pick(ESTATES)}` +
    `${1 + r.int(30)}栋${1 + r.int(3)}单元${1 + r.int(33)}0${1 + r.int(6)}室`;
  const sentences = 1 + r.int(6);
  let freeText = '';
  for (let i = 0; i < sentences; i++) freeText += r.pick(NOTE_SENTENCES);
  const collectedAt = new Date(COLLECTED_FROM + r.int(COLLECTED_SPAN_MS)).toISOString();
  return { email, phone, name, address, freeText, collectedAt, source: r.pick(SOURCES) };
}

function newRecordsOf(d: SubjectData): NewRecord[] {
  const rec = (category: keyof typeof PURPOSES, value: string): NewRecord => ({
    category,
    purpose: PURPOSES[category],
    value,
    source: d.source,
    collectedAt: d.collectedAt,
  });
  return [
    rec('email', d.email),
    rec('phone', d.phone),
    rec('name', d.name),
    rec('address', d.address),
    rec('free_text', d.freeText),
  ];
}

// ---------------------------------------------------------------------------------------------
// Where stores live and how to open them.

export function sqliteDir(subjects: number): string {
  return path.join(BENCH_DIR, `sqlite-${BENCH_SEED.toString(16)}-${subjects}`);
}
export const pgDatabase = (subjects: number): string => `custos_bench_${subjects}`;

/** Store options for a cached store; `synchronous` matters only for SQLite. */
export function storeOptionsFor(
  kind: DbKind,
  subjects: number,
  synchronous: 'FULL' | 'NORMAL' = 'FULL',
): StoreOptions {
  return kind === 'sqlite'
    ? { kind: 'sqlite', file: path.join(sqliteDir(subjects), 'custos.db'), synchronous }
    : { kind: 'postgres', url: `${pgServerUrl()}/${pgDatabase(subjects)}`, poolMax: 4 };
}

/** A full Custos context (migrated store, keyring, audit writer) over a bench store. */
export async function openBenchContext(
  kind: DbKind,
  subjects: number,
  options: { synchronous?: 'FULL' | 'NORMAL'; logLevel?: 'error' | 'silent' } = {},
): Promise<AppContext> {
  const dataDir = kind === 'sqlite' ? sqliteDir(subjects) : path.join(BENCH_DIR, 'pg-data');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const config = loadConfig({
    CUSTOS_ENV: 'test',
    CUSTOS_DATA_DIR: dataDir,
    CUSTOS_MASTER_KEY: BENCH_MASTER_KEY.toString('hex'),
    CUSTOS_PORT: '0',
    CUSTOS_AUDIT_CHECKPOINT_SECONDS: '0',
    CUSTOS_LOG_LEVEL: options.logLevel ?? 'error',
    ...(kind === 'postgres' ? { CUSTOS_DB: `${pgServerUrl()}/${pgDatabase(subjects)}` } : {}),
  });
  const log = createLogger(options.logLevel ?? 'error', process.stderr);
  return openContext(config, log, {
    store: storeOptionsFor(kind, subjects, options.synchronous ?? 'FULL'),
  });
}

// ---------------------------------------------------------------------------------------------
// Cache bookkeeping (the bench_meta marker table inside each store).

export interface DatasetInfo {
  kind: DbKind;
  subjects: number;
  records: number;
  /** Seconds the generation took (when it was generated, now or in an earlier run). */
  generationSeconds: number;
  generatedAt: string;
  /** True when this call generated it; false when a complete cached store was found. */
  generatedNow: boolean;
  /** On-disk size in bytes (SQLite file, or pg_database_size). */
  bytes: number;
}

type Meta = Record<string, string>;

async function readMetaSqlite(subjects: number): Promise<Meta | null> {
  const file = path.join(sqliteDir(subjects), 'custos.db');
  if (!fs.existsSync(file)) return null;
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const t = db
      .prepare("select name from sqlite_master where type = 'table' and name = 'bench_meta'")
      .get();
    if (t === undefined) return null;
    const rows = db.prepare('select key, value from bench_meta').all() as Array<{
      key: string;
      value: string;
    }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } finally {
    db.close();
  }
}

async function withPgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: `${pgServerUrl()}/postgres` });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function readMetaPg(subjects: number): Promise<Meta | null> {
  const exists = await withPgAdmin(async (a) => {
    const r = await a.query('select 1 from pg_database where datname = $1', [pgDatabase(subjects)]);
    return (r.rowCount ?? 0) > 0;
  });
  if (!exists) return null;
  const c = new pg.Client({ connectionString: `${pgServerUrl()}/${pgDatabase(subjects)}` });
  await c.connect();
  try {
    const t = await c.query("select to_regclass('public.bench_meta') as t");
    if ((t.rows[0] as { t: string | null } | undefined)?.t == null) return null;
    const r = await c.query<{ key: string; value: string }>('select key, value from bench_meta');
    return Object.fromEntries(r.rows.map((row) => [row.key, row.value]));
  } finally {
    await c.end();
  }
}

const isComplete = (meta: Meta | null, subjects: number): meta is Meta =>
  meta !== null &&
  meta.complete === '1' &&
  meta.seed === String(BENCH_SEED) &&
  meta.format === FORMAT_VERSION &&
  meta.subjects === String(subjects);

async function storeBytes(kind: DbKind, subjects: number): Promise<number> {
  if (kind === 'sqlite') {
    const file = path.join(sqliteDir(subjects), 'custos.db');
    let total = 0;
    for (const f of [file, `${file}-wal`]) if (fs.existsSync(f)) total += fs.statSync(f).size;
    return total;
  }
  return withPgAdmin(async (a) => {
    const r = await a.query<{ n: string }>('select pg_database_size($1)::text as n', [
      pgDatabase(subjects),
    ]);
    return Number(r.rows[0]?.n ?? 0);
  });
}

async function resetStore(kind: DbKind, subjects: number): Promise<void> {
  if (kind === 'sqlite') {
    fs.rmSync(sqliteDir(subjects), { recursive: true, force: true });
    fs.mkdirSync(sqliteDir(subjects), { recursive: true, mode: 0o700 });
    return;
  }
  await withPgAdmin(async (a) => {
    await a.query(`drop database if exists ${pgDatabase(subjects)} with (force)`);
    await a.query(`create database ${pgDatabase(subjects)}`);
  });
}

async function setMeta(ctx: AppContext, entries: Meta): Promise<void> {
  for (const [key, value] of Object.entries(entries)) {
    await sql`insert into bench_meta (key, value) values (${key}, ${value})
              on conflict (key) do update set value = excluded.value`.execute(ctx.store.db);
  }
}

// ---------------------------------------------------------------------------------------------
// Generation.

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Writes subjects [from, to) in one transaction, in the storage format of records.ts. */
async function writeBatch(ctx: AppContext, from: number, to: number): Promise<void> {
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const checked: CheckedRecord[][] = [];
  for (let i = from; i < to; i++)
    checked.push(checkRecords(newRecordsOf(subjectData(BENCH_SEED, i)), now));
  await transaction(ctx.store, async (trx) => {
    if (ctx.store.dialect === 'postgres')
      await sql`set local synchronous_commit = off`.execute(trx);
    const subjects: Row<'subjects'>[] = checked.map(() => ({
      minor: 0,
      id: newId(),
      controller_id: 'self',
      status: 'active',
      created_at: nowIso,
      updated_at: nowIso,
      erased_at: null,
    }));
    for (const part of chunks(subjects, ROWS_PER_INSERT))
      await trx.insertInto('subjects').values(part).execute();
    const records: Row<'pi_records'>[] = [];
    const identifiers: Row<'subject_identifiers'>[] = [];
    for (let s = 0; s < subjects.length; s++) {
      const subject = subjects[s]!;
      const dek = await ctx.keyring.createDataKey(ctx.store, trx, 'subject', subject.id);
      for (const r of checked[s]!) {
        // As insertRecords in src/subjects/records.ts.
        const id = newId();
        records.push({
          id,
          subject_id: subject.id,
          controller_id: subject.controller_id,
          category: r.category,
          purpose: r.purpose,
          value_enc: encryptField(dek, r.stored, {
            table: 'pi_records',
            column: 'value_enc',
            rowId: id,
          }),
          source: r.source,
          collected_at: r.collectedAt ? new Date(r.collectedAt).toISOString() : nowIso,
          region: r.region ?? 'CN',
          created_at: nowIso,
          updated_at: nowIso,
          expires_at: expiryOf(
            r.collectedAt ? new Date(r.collectedAt).toISOString() : nowIso,
            RETENTION_DAYS[r.purpose]!,
          ),
        });
        if (r.identifier !== null)
          identifiers.push({
            kind: r.identifier.kind,
            digest: ctx.keyring.blindIndex(r.identifier.kind, r.identifier.normalised),
            subject_id: subject.id,
            record_id: id,
            controller_id: subject.controller_id,
          });
      }
      dek.fill(0);
    }
    for (const part of chunks(records, ROWS_PER_INSERT))
      await trx.insertInto('pi_records').values(part).execute();
    for (const part of chunks(identifiers, ROWS_PER_INSERT))
      await trx.insertInto('subject_identifiers').values(part).execute();
  });
}

const log = (msg: string): void => {
  process.stderr.write(`[generate] ${msg}\n`);
};

async function generate(kind: DbKind, subjects: number): Promise<void> {
  await resetStore(kind, subjects);
  const ctx = await openBenchContext(kind, subjects, { synchronous: 'NORMAL' });
  try {
    const db = ctx.store.db;
    await sql`create table if not exists bench_meta (key text primary key, value text not null)`.execute(
      db,
    );
    await setMeta(ctx, {
      seed: String(BENCH_SEED),
      format: FORMAT_VERSION,
      subjects: String(subjects),
      complete: '0',
    });
    // Generation only: a larger page cache for the random-order blind-index B-tree.
    if (kind === 'sqlite') await sql`pragma cache_size = -524288`.execute(db);
    const started = performance.now();
    let lastReport = started;
    for (let from = 0; from < subjects; from += SUBJECTS_PER_TRANSACTION) {
      const to = Math.min(subjects, from + SUBJECTS_PER_TRANSACTION);
      await writeBatch(ctx, from, to);
      const t = performance.now();
      if (t - lastReport > 15_000 || to === subjects) {
        lastReport = t;
        const rate = to / ((t - started) / 1000);
        log(
          `${kind} ${to}/${subjects} subjects, ${rate.toFixed(0)} subjects/s, ETA ${((subjects - to) / rate).toFixed(0)} s`,
        );
      }
    }
    await ctx.keyring.flushUsage(db);
    const loaded = (performance.now() - started) / 1000;
    if (kind === 'sqlite') {
      await sql`analyze`.execute(db);
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    } else {
      await sql`vacuum analyze`.execute(db);
    }
    const seconds = (performance.now() - started) / 1000;
    await setMeta(ctx, {
      complete: '1',
      records: String(subjects * RECORDS_PER_SUBJECT),
      load_seconds: loaded.toFixed(1),
      generation_seconds: seconds.toFixed(1),
      generated_at: new Date().toISOString(),
    });
    if (kind === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    log(
      `${kind} ${subjects} subjects generated in ${seconds.toFixed(1)} s (load ${loaded.toFixed(1)} s)`,
    );
  } finally {
    await ctx.store.close();
  }
}

/** Returns a complete store of `subjects` subjects, generating it when missing or incomplete. */
export async function ensureDataset(kind: DbKind, subjects: number): Promise<DatasetInfo> {
  const read = () => (kind === 'sqlite' ? readMetaSqlite(subjects) : readMetaPg(subjects));
  let meta = await read();
  let generatedNow = false;
  if (!isComplete(meta, subjects)) {
    log(`${kind}: no complete store of ${subjects} subjects cached; generating`);
    await generate(kind, subjects);
    generatedNow = true;
    meta = await read();
    if (!isComplete(meta, subjects)) throw new Error(`${kind} generation did not complete`);
  }
  return {
    kind,
    subjects,
    records: Number(meta.records),
    generationSeconds: Number(meta.generation_seconds),
    generatedAt: meta.generated_at ?? '',
    generatedNow,
    bytes: await storeBytes(kind, subjects),
  };
}

// CLI: pre-generate stores (e.g. in the background before `npm run bench`).
if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const args = process.argv.slice(2);
  const which: readonly DbKind[] =
    args[0] === 'sqlite' || args[0] === 'postgres' ? [args[0]] : DB_KINDS;
  const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
  for (const kind of which)
    for (const n of sizes.length > 0 ? sizes : [benchSubjects()]) {
      const info = await ensureDataset(kind, n);
      console.log(JSON.stringify(info));
    }
}
