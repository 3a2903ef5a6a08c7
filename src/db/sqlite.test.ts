// Group commit in the SQLite driver: concurrent transactions share physical commits, each is
// durable once its caller resumes, and one that fails leaves the others untouched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, transaction, type Store } from './store.js';

describe('SQLite group commit', () => {
  let dir: string;
  let store: Store;
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function setup(): Promise<string> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-sqlite-'));
    const file = path.join(dir, 'custos.db');
    store = openStore({ kind: 'sqlite', file });
    await sql`create table t (id integer primary key, v text not null)`.execute(store.db);
    return file;
  }

  it('makes every transaction durable before its caller resumes, and isolates failures', async () => {
    const file = await setup();
    const other = new BetterSqlite3(file, { readonly: true });
    const seenByOther: number[] = [];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        transaction(store, async (trx) => {
          await sql`insert into t (id, v) values (${i}, ${`row ${i}`})`.execute(trx);
          if (i % 7 === 3) throw new Error(`refused ${i}`);
        }).then(() => {
          // Another connection sees the row the moment the caller resumes: it is committed.
          const row = other.prepare('select id from t where id = ?').get(i) as
            { id: number } | undefined;
          if (row) seenByOther.push(row.id);
        }),
      ),
    );
    const failed = outcomes.map((o, i) => (o.status === 'rejected' ? i : -1)).filter((i) => i >= 0);
    expect(failed).toEqual(Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 7 === 3));
    const ok = Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 7 !== 3);
    expect(seenByOther.sort((a, b) => a - b)).toEqual(ok);
    const rows = other.prepare('select id from t order by id').all() as Array<{ id: number }>;
    expect(rows.map((r) => r.id)).toEqual(ok);
    other.close();
  });

  it('commits a lone transaction at once', async () => {
    const file = await setup();
    await transaction(store, (trx) => sql`insert into t (id, v) values (1, 'one')`.execute(trx));
    const other = new BetterSqlite3(file, { readonly: true });
    expect(other.prepare('select v from t where id = 1').get()).toEqual({ v: 'one' });
    other.close();
  });
});
