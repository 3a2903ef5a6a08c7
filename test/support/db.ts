// Fresh databases for tests: a SQLite file in a temporary folder, or a PostgreSQL schema of its
// own on the server chosen by test/global-setup.ts. Each is removed again by `cleanup`.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { StoreOptions } from '../../src/db/store.js';

export type DbKind = 'sqlite' | 'postgres';
/** Every storage test runs on both. */
export const DB_KINDS: readonly DbKind[] = ['sqlite', 'postgres'];

export interface FreshDb {
  kind: DbKind;
  options: StoreOptions;
  /** CUSTOS_DB value for child processes (undefined = SQLite in dataDir). */
  url: string | undefined;
  dataDir: string;
  cleanup(): Promise<void>;
}

export function testPgUrl(): string {
  const url = process.env.CUSTOS_TEST_PG;
  if (url === undefined)
    throw new Error('CUSTOS_TEST_PG is not set: the vitest global setup did not run');
  return url;
}

/** A URL that selects `schema` through the connection's search_path (for child processes). */
export function pgUrlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function freshDb(kind: DbKind): Promise<FreshDb> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-test-'));
  if (kind === 'sqlite') {
    return {
      kind,
      options: { kind: 'sqlite', file: path.join(dataDir, 'custos.db') },
      url: undefined,
      dataDir,
      cleanup: () => Promise.resolve(fs.rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const url = testPgUrl();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    kind,
    options: { kind: 'postgres', url, schema, poolMax: 5 },
    url: pgUrlWithSchema(url, schema),
    dataDir,
    async cleanup() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
