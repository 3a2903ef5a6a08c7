// `npm run bench [-- name ...]`: runs the benchmarks (all, or the named ones), printing for each its
// ratio against its reference, its absolute numbers and the machine it ran on. Results are also
// written as JSON to .bench-data/results-<timestamp>.json.
//
//   npm run bench                                   every benchmark
//   npm run bench -- field-encryption audit        a subset
//   CUSTOS_BENCH_SUBJECTS=20000 npm run bench -- lookup   a smaller store
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';

/** Server URL (no database) for the PostgreSQL stores. */
export function pgServerUrl(): string {
  return (process.env.CUSTOS_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
}

/** A deterministic stream of uint32 values (mulberry32). */
export class Mulberry32 {
  #a: number;
  constructor(seed: number) {
    this.#a = seed >>> 0;
  }
  nextU32(): number {
    this.#a = (this.#a + 0x6d2b79f5) | 0;
    let t = this.#a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, n). */
  int(n: number): number {
    return Math.floor((this.nextU32() / 2 ** 32) * n);
  }
  pick<T>(list: readonly T[]): T {
    const v = list[this.int(list.length)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(10));
    return s;
  }
}

/** One headline figure checked against its target. */
export interface Headline {
  what: string;
  value: string;
  target: string;
  /** null when the figure is informational (no target). */
  met: boolean | null;
}

export interface Table {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

export interface BenchReport {
  name: string;
  title: string;
  headlines: Headline[];
  tables: Table[];
  notes: string[];
}

export interface Bench {
  name: string;
  run(): Promise<BenchReport>;
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** The q-quantile (0..1) of already sorted values, by linear interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? a;
  return a + (b - a) * (pos - lo);
}

export const median = (values: readonly number[]): number =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

function markdownTable(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map(String))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    `**${t.title}**`,
    '',
    line(t.columns),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...t.rows.map((r) => line(r.map(String))),
  ].join('\n');
}

export function printReport(r: BenchReport): void {
  const out: string[] = ['', `## ${r.title}`, ''];
  out.push(
    markdownTable({
      title: 'Headline',
      columns: ['what', 'value', 'target', 'met'],
      rows: r.headlines.map((h) => [
        h.what,
        h.value,
        h.target,
        h.met === null ? '—' : h.met ? 'yes' : 'NO',
      ]),
    }),
  );
  for (const t of r.tables) out.push('', markdownTable(t));
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `- ${n}`));
  console.log(out.join('\n'));
}

export interface MachineInfo {
  /** git HEAD of the tree measured, with "+dirty" when src/ has uncommitted changes. */
  source: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  sqlite: string;
  postgres: string;
}

export async function machineInfo(): Promise<MachineInfo> {
  const mem = new Database(':memory:');
  const sqlite = (mem.prepare('select sqlite_version() as v').get() as { v: string }).v;
  mem.close();
  let postgres = 'unavailable';
  const c = new pg.Client({ connectionString: `${pgServerUrl()}/postgres` });
  try {
    await c.connect();
    const r = await c.query<{ v: string }>('select version() as v');
    postgres = r.rows[0]?.v.split(' on ')[0] ?? 'unknown';
  } catch {
    // Reported as unavailable; the PostgreSQL benchmarks fail on their own.
  } finally {
    await c.end().catch(() => undefined);
  }
  let source = 'unknown';
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      encoding: 'utf8',
    }).trim();
    source = `${head}${dirty === '' ? '' : ' +dirty (uncommitted changes in src/)'}`;
  } catch {
    // Not a git checkout: reported as unknown.
  }
  return {
    source,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sqlite: `SQLite ${sqlite} (better-sqlite3)`,
    postgres,
  };
}

const BENCHES: Record<string, () => Promise<Bench>> = {
  'field-encryption': async () => (await import('./field-encryption.js')).bench,
  audit: async () => (await import('./audit.js')).bench,
  lookup: async () => (await import('./lookup.js')).bench,
  requests: async () => (await import('./requests.js')).bench,
  'consent-events': async () => (await import('./consent-events.js')).bench,
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = asked.filter((a) => !(a in BENCHES));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`,
    );
    process.exit(2);
  }
  const names = asked.length > 0 ? asked : Object.keys(BENCHES);
  const machine = await machineInfo();
  const started = new Date();
  console.log(`# Custos benchmarks — ${started.toISOString()}`);
  console.log('');
  console.log(`- CPU: ${machine.cpu} × ${machine.cores} cores, ${machine.memoryGiB} GiB RAM`);
  console.log(`- OS: ${machine.os}; Node ${machine.node}`);
  console.log(`- ${machine.sqlite}; ${machine.postgres}`);
  console.log(`- source: ${machine.source}`);
  console.log(
    `- load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const reports: BenchReport[] = [];
  for (const name of names) {
    const load = BENCHES[name];
    if (load === undefined) continue;
    const bench = await load();
    const t0 = performance.now();
    const report = await bench.run();
    report.notes.push(
      `benchmark wall time ${((performance.now() - t0) / 1000).toFixed(1)} s; load average after: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    printReport(report);
    reports.push(report);
  }
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '.bench-data');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `results-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ started, machine, reports }, null, 2));
  console.log(`\nresults written to ${path.relative(process.cwd(), file)}`);
}

// Only as the entry point: the benchmark modules import helpers from this file.
if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
