// Multi-row INSERT statements written once per (dialect, table, row count) and executed raw: the hot
// batch writers (audit log, consent ledger) insert hundreds of rows per transaction, and building
// the same statement through the query builder each time cost more than the insert itself.
import { CompiledQuery } from 'kysely';
import type { Dialect, Trx } from './store.js';

/** Rows per statement: at most 16 columns × 500 rows, far below SQLite's and PostgreSQL's limits. */
export const ROWS_PER_INSERT = 500;

const cache = new Map<string, string>();

/** `insert into <table> (<columns>) values (…), (…)` for `n` rows, with the dialect's placeholders. */
export function bulkInsertSql(
  dialect: Dialect,
  table: string,
  columns: readonly string[],
  n: number,
): string {
  const key = `${dialect}\u0000${table}\u0000${columns.join(',')}\u0000${n}`;
  let sql = cache.get(key);
  if (sql === undefined) {
    const width = columns.length;
    const p = (i: number) => (dialect === 'postgres' ? `$${i}` : '?');
    const rows = Array.from(
      { length: n },
      (_, r) => `(${Array.from({ length: width }, (_, c) => p(r * width + c + 1)).join(', ')})`,
    ).join(', ');
    sql = `insert into ${table} (${columns.join(', ')}) values ${rows}`;
    cache.set(key, sql);
  }
  return sql;
}

/** Inserts `rows` (each a list of values in `columns` order) in chunks of ROWS_PER_INSERT. */
export async function bulkInsert(
  dialect: Dialect,
  trx: Trx,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    await trx.executeQuery(
      CompiledQuery.raw(bulkInsertSql(dialect, table, columns, chunk.length), chunk.flat()),
    );
  }
}
