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

/**
 * Without a PostgreSQL server (developer machines only; CI refuses this in global-setup.ts), each
 * PostgreSQL test database is its own in-memory PGlite behind a local socket server, so the
 * product and its child processes still talk to it through `pg` over TCP.
 */
async function freshPglite(dataDir: string): Promise<FreshDb> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 64 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  return {
    kind: 'postgres',
    options: { kind: 'postgres', url, poolMax: 5 },
    url,
    dataDir,
    async cleanup() {
      await server.stop();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
  if (process.env.CUSTOS_TEST_PG_MODE === 'pglite') return freshPglite(dataDir);
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
