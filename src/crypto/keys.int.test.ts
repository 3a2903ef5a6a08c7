// The keyring on SQLite and PostgreSQL: master key handling, rotation (also while the server
// serves), automatic rotation at the encryption budget, and crypto-shredding that holds even for
// someone with the raw database file and the master key.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envFor, runCli } from '../../test/support/cli.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';
import { createLogger } from '../logger.js';
import { loadConfig } from '../config.js';
import { keyUsageJob, openContext } from '../server.js';
import { Keyring, KeyringMismatchError } from './keyring.js';
import { rotateKeks } from './rotate.js';
import { openStore } from '../db/store.js';

const subjectBody = (i: number) => ({
  records: [
    {
      category: 'email',
      purpose: 'consultation',
      value: `person${i}@example.com`,
      source: 'web_form',
    },
    {
      category: 'phone',
      purpose: 'consultation',
      value: `+86 139${String(10000000 + i).slice(-8)}`,
      source: 'web_form',
    },
  ],
});

async function createSubjects(staff: Staff, n: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const res = await staff.client.post('/api/v1/subjects', subjectBody(i));
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
  return ids;
}

async function revealAll(staff: Staff, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    const res = await staff.client.post(`/api/v1/subjects/${id}/reveal`, {
      reason: 'key rotation check',
    });
    expect(res.status).toBe(200);
    out.push(res.body.records[0].value);
  }
  return out;
}

describe.each(DB_KINDS)('keys on %s', (kind) => {
  let env: TestEnv;
  afterEach(async () => env.close());

  it('rotates the key-encryption key, re-wraps every data key and destroys the old version', async () => {
    env = await makeEnv(kind);
    const officer = await loginAs(env, 'privacy_officer');
    const ids = await createSubjects(officer, 8);
    const before = await env.ctx.store.db
      .selectFrom('pi_records')
      .select(['id', 'value_enc'])
      .orderBy('id')
      .execute();

    const report = await rotateKeks(
      env.ctx.store,
      env.ctx.keyring,
      env.ctx.audit,
      { type: 'system', id: null },
      { batchSize: 3 },
    );
    expect(report).toMatchObject({ from: 1, to: 2, destroyed: [1] });
    expect(report.rewrapped).toBeGreaterThanOrEqual(8);

    const after = await env.ctx.store.db
      .selectFrom('pi_records')
      .select(['id', 'value_enc'])
      .orderBy('id')
      .execute();
    expect(after).toEqual(before); // values untouched: only data keys were re-wrapped
    const versions = await env.ctx.store.db
      .selectFrom('data_keys')
      .select('kek_version')
      .distinct()
      .execute();
    expect(versions.map((v) => v.kek_version)).toEqual([2]);
    const old = await env.ctx.store.db
      .selectFrom('keyring')
      .selectAll()
      .where('purpose', '=', 'kek')
      .where('version', '=', 1)
      .executeTakeFirstOrThrow();
    expect(old).toMatchObject({ state: 'destroyed', material: null });
    expect(await revealAll(officer, ids)).toEqual(ids.map((_, i) => `person${i}@example.com`));
  });

  it('rotates with `custos keys rotate` while the server keeps writing and reading', async () => {
    env = await makeEnv(kind);
    const officer = await loginAs(env, 'privacy_officer');
    const ids = await createSubjects(officer, 30);
    const rotation = runCli(['keys', 'rotate', '--batch', '5', '--json'], { env: envFor(env) });
    // Keep the server busy for as long as the rotation runs.
    let busy = true;
    const traffic = (async () => {
      let i = 100;
      while (busy) {
        ids.push(...(await createSubjects(officer, 1, i++)));
        expect((await officer.client.get(`/api/v1/subjects/${ids[i % ids.length]!}`)).status).toBe(
          200,
        );
      }
    })();
    const result = await rotation;
    busy = false;
    await traffic;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ to: 2 });
    // Subjects created during the rotation may still be under v1 if they raced the re-wrap; a
    // resume finishes them, and every value still opens.
    await rotateKeks(
      env.ctx.store,
      env.ctx.keyring,
      env.ctx.audit,
      { type: 'system', id: null },
      { resumeOnly: true },
    );
    const versions = await env.ctx.store.db
      .selectFrom('data_keys')
      .select('kek_version')
      .distinct()
      .execute();
    expect(versions.map((v) => v.kek_version)).toEqual([2]);
    const revealed = await revealAll(officer, ids);
    expect(revealed.every((v) => /^person\d+@example\.com$/.test(v))).toBe(true);
  });

  it('rotates by itself when the active key reaches its encryption budget', async () => {
    env = await makeEnv(kind, { CUSTOS_KEK_MAX_ENCRYPTIONS: '10' });
    const officer = await loginAs(env, 'privacy_officer');
    const ids = await createSubjects(officer, 12);
    await keyUsageJob(env.ctx);
    const active = await env.ctx.store.db
      .selectFrom('keyring')
      .select('version')
      .where('purpose', '=', 'kek')
      .where('state', '=', 'active')
      .executeTakeFirstOrThrow();
    expect(active.version).toBe(2);
    expect((await revealAll(officer, ids.slice(0, 3))).length).toBe(3);
  });

  it('refuses a master key that does not match the database', async () => {
    env = await makeEnv(kind);
    const store = openStore(env.db.options);
    try {
      await expect(Keyring.open(store, Buffer.alloc(32, 9))).rejects.toThrow(KeyringMismatchError);
    } finally {
      await store.close();
    }
    const cli = await runCli(['check-config'], {
      env: { ...envFor(env), CUSTOS_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') },
    });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('master key does not match');
  });

  it('makes an erased subject unreadable, even with the raw database file and the master key', async () => {
    env = await makeEnv(kind);
    const officer = await loginAs(env, 'privacy_officer');
    const [id] = await createSubjects(officer, 1, 777);
    const key = await env.ctx.store.db
      .selectFrom('data_keys')
      .select('wrapped')
      .where('owner_id', '=', id!)
      .executeTakeFirstOrThrow();
    const values = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('value_enc')
      .where('subject_id', '=', id!)
      .execute();
    expect(
      (await officer.client.post(`/api/v1/subjects/${id}/erase`, { reason: 'erasure request E-1' }))
        .status,
    ).toBe(200);

    if (kind === 'sqlite') {
      // Everything on disk: the database file and whatever remains of its write-ahead log.
      const files = fs.readdirSync(env.db.dataDir).filter((f) => f.startsWith('custos.db'));
      const disk = Buffer.concat(files.map((f) => fs.readFileSync(path.join(env.db.dataDir, f))));
      expect(disk.indexOf(key.wrapped)).toBe(-1);
      for (const v of values) expect(disk.indexOf(v.value_enc!)).toBe(-1);
    }
    // A fresh process holding the master key finds nothing to decrypt the subject with.
    const config = loadConfig({
      CUSTOS_ENV: 'test',
      CUSTOS_DATA_DIR: env.db.dataDir,
      CUSTOS_MASTER_KEY: env.masterKey,
    });
    const other = await openContext(config, createLogger('silent'), { store: env.db.options });
    try {
      expect(await other.keyring.dataKey(other.store.db, 'subject', id!)).toBeNull();
      expect(
        await other.store.db
          .selectFrom('pi_records')
          .selectAll()
          .where('subject_id', '=', id!)
          .execute(),
      ).toEqual([]);
      expect(
        await other.store.db
          .selectFrom('subject_identifiers')
          .selectAll()
          .where('subject_id', '=', id!)
          .execute(),
      ).toEqual([]);
    } finally {
      await other.store.close();
    }
  });
});

describe('master key file', () => {
  let env: TestEnv;
  afterEach(async () => env.close());

  it('is created at first start with mode 0600, and its loss is refused loudly once data exists', async () => {
    env = await makeEnv('sqlite');
    const dataDir = fs.mkdtempSync(path.join(env.db.dataDir, 'fresh-'));
    const settings = { CUSTOS_DATA_DIR: dataDir, CUSTOS_LOG_LEVEL: 'warn' };
    const first = await runCli(['check-config'], { env: settings });
    expect(first.code).toBe(0);
    const file = path.join(dataDir, 'master.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dataDir, 'custos.db')).mode & 0o777).toBe(0o600);

    fs.chmodSync(file, 0o644);
    const loose = await runCli(['check-config'], { env: settings });
    expect(loose.code).toBe(2);
    expect(loose.stderr).toContain('chmod 600');

    fs.rmSync(file);
    const missing = await runCli(['check-config'], { env: settings });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('REFUSING TO START');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(file)).toBe(false);
  });
});
