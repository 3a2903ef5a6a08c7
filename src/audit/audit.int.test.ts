// The audit log end to end on SQLite and PostgreSQL: events written with the change they record
// (and the change refused when they cannot be), every tamper kind named by `verify` (API and
// CLI), and proofs from the API checked offline by `custos audit check-proof`.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { envFor, runCli } from '../../test/support/cli.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs } from '../../test/support/http.js';
import { transaction } from '../db/store.js';
import { eventMac } from './log.js';
import { appendToFrontier, encodeFrontier, hashLeaf } from './merkle.js';
import { checkpointAt } from './tree.js';
import { verifyAuditLog } from './verify.js';

const ORIGIN = 'custos.test/audit';
const person = {
  records: [
    {
      category: 'email',
      purpose: 'consultation',
      value: 'wang.wu@example.com',
      source: 'web_form',
    },
  ],
};

async function seedEvents(env: TestEnv, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await transaction(env.ctx.store, (trx) =>
      env.ctx.audit.record(trx, {
        actor: { type: 'system', id: null },
        action: 'subject.read',
        target: { type: 'subject', id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}` },
        outcome: 'success',
        details: { records: i },
      }),
    );
  }
}

/** What an attacker holding the keys would do: recompute every hash, MAC, node and the head. */
async function rebuildTree(env: TestEnv): Promise<void> {
  const db = env.ctx.store.db;
  const rows = await db
    .selectFrom('audit_events')
    .select(['seq', 'entry'])
    .orderBy('seq')
    .execute();
  let frontier: Buffer[] = [];
  const nodes: Array<{ level: number; idx: number; hash: Buffer }> = [];
  for (const [i, row] of rows.entries()) {
    const leaf = hashLeaf(row.entry);
    await db
      .updateTable('audit_events')
      .set({ leaf_hash: leaf, mac: eventMac(env.ctx.keyring.auditMacKey, i, leaf) })
      .where('seq', '=', row.seq)
      .execute();
    const step = appendToFrontier(frontier, i, leaf);
    frontier = step.frontier;
    nodes.push(...step.completed.map((c) => ({ level: c.level, idx: c.index, hash: c.hash })));
  }
  await db.deleteFrom('audit_nodes').execute();
  if (nodes.length > 0) await db.insertInto('audit_nodes').values(nodes).execute();
  await db
    .updateTable('audit_head')
    .set({ size: rows.length, frontier: encodeFrontier(frontier) })
    .where('id', '=', 1)
    .execute();
}

const entryOf = async (env: TestEnv, seq: number) =>
  (
    await env.ctx.store.db
      .selectFrom('audit_events')
      .select('entry')
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow()
  ).entry;

describe.each(DB_KINDS)('audit log on %s', (kind) => {
  let env: TestEnv;
  afterEach(async () => env.close());

  async function verifyEverywhere(
    expected: { ok: true } | { ok: false; kind: string; firstBadEvent: number },
  ) {
    const direct = await verifyAuditLog(env.ctx.store.db, env.ctx.keyring);
    expect(direct).toMatchObject(expected);
    // Small pages put page boundaries next to the tampered events: the answer must not change.
    for (const pageSize of [1, 2, 7])
      expect(await verifyAuditLog(env.ctx.store.db, env.ctx.keyring, { pageSize })).toEqual(direct);
    // The same answers from the worker-thread path, with chunks small enough that tampered
    // events and checkpoints fall inside, on and across chunk and page borders.
    for (const [chunkLevel, pageSize] of [
      [1, 4],
      [2, 8],
      [3, 7],
    ] as const)
      expect(
        await verifyAuditLog(env.ctx.store.db, env.ctx.keyring, {
          workers: 2,
          chunkLevel,
          pageSize,
          parallelFrom: 0,
        }),
      ).toEqual(direct);
    const officer = await loginAs(env, 'security_officer');
    const api = await officer.client.get('/api/v1/audit/verify');
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject(
      expected.ok
        ? { ok: true }
        : { ok: false, kind: expected.kind, firstBadEvent: expected.firstBadEvent },
    );
    const cli = await runCli(['audit', 'verify', '--json'], { env: envFor(env) });
    expect(cli.code).toBe(expected.ok ? 0 : 1);
    expect(JSON.parse(cli.stdout)).toMatchObject(
      expected.ok
        ? { ok: true }
        : { ok: false, kind: expected.kind, firstBadEvent: expected.firstBadEvent },
    );
  }

  it('records each change in the same transaction and verifies an intact log', async () => {
    env = await makeEnv(kind);
    const officer = await loginAs(env, 'privacy_officer');
    const res = await officer.client.post('/api/v1/subjects', person);
    expect(res.status).toBe(201);
    const events = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target_id', 'entry'])
      .execute();
    expect(events.some((e) => e.action === 'subject.create' && e.target_id === res.body.id)).toBe(
      true,
    );
    for (const e of events) expect(e.entry.toString()).not.toContain('wang.wu');
    await verifyEverywhere({ ok: true });
  });

  it('refuses the change when its audit record cannot be written (fail closed)', async () => {
    env = await makeEnv(kind);
    const officer = await loginAs(env, 'privacy_officer');
    const before = await env.ctx.store.db
      .selectFrom('subjects')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    // Occupy the next sequence number so the audit insert fails inside the subject's transaction.
    const head = await env.ctx.store.db
      .selectFrom('audit_head')
      .select('size')
      .executeTakeFirstOrThrow();
    const blocker = await entryOf(env, 0);
    await env.ctx.store.db
      .insertInto('audit_events')
      .values({
        seq: Number(head.size) + 5,
        at: 'x',
        action: 'x',
        actor_type: 'x',
        actor_id: null,
        target_type: null,
        target_id: null,
        controller_id: null,
        outcome: 'x',
        entry: blocker,
        leaf_hash: Buffer.alloc(32),
        mac: Buffer.alloc(32),
      })
      .execute();
    await env.ctx.store.db
      .updateTable('audit_head')
      .set({ size: Number(head.size) + 5 })
      .execute();
    const res = await officer.client.post('/api/v1/subjects', person);
    expect(res.status).toBe(503);
    expect(res.body.type).toBe('urn:custos:problem:unavailable');
    const after = await env.ctx.store.db
      .selectFrom('subjects')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(await env.ctx.store.db.selectFrom('pi_records').selectAll().execute()).toEqual([]);
  });

  it('names an altered event (content, indexed column, or content with a recomputed hash)', async () => {
    env = await makeEnv(kind);
    await seedEvents(env, 30);
    const db = env.ctx.store.db;
    const original = await entryOf(env, 10);
    await db
      .updateTable('audit_events')
      .set({ entry: Buffer.from(original.toString().replace('"success"', '"failure"')) })
      .where('seq', '=', 10)
      .execute();
    await verifyEverywhere({ ok: false, kind: 'altered', firstBadEvent: 10 });

    await db.updateTable('audit_events').set({ entry: original }).where('seq', '=', 10).execute();
    await db
      .updateTable('audit_events')
      .set({ action: 'auth.login' })
      .where('seq', '=', 12)
      .execute();
    expect(await verifyAuditLog(db, env.ctx.keyring)).toMatchObject({
      ok: false,
      kind: 'altered',
      firstBadEvent: 12,
    });

    await db
      .updateTable('audit_events')
      .set({ action: 'subject.read' })
      .where('seq', '=', 12)
      .execute();
    const forged = Buffer.from(
      (await entryOf(env, 14)).toString().replace('"success"', '"denied"'),
    );
    await db
      .updateTable('audit_events')
      .set({ entry: forged, leaf_hash: hashLeaf(forged), outcome: 'denied' })
      .where('seq', '=', 14)
      .execute();
    expect(await verifyAuditLog(db, env.ctx.keyring)).toMatchObject({
      ok: false,
      kind: 'altered',
      firstBadEvent: 14,
    });
  });

  it('names a deleted event, with or without the later events renumbered', async () => {
    env = await makeEnv(kind);
    await seedEvents(env, 30);
    const db = env.ctx.store.db;
    await db.deleteFrom('audit_events').where('seq', '=', 17).execute();
    await verifyEverywhere({ ok: false, kind: 'missing', firstBadEvent: 17 });
    for (let s = 18; s < 30; s++)
      await db
        .updateTable('audit_events')
        .set({ seq: s - 1 })
        .where('seq', '=', s)
        .execute();
    await db.updateTable('audit_head').set({ size: 29 }).execute();
    expect(await verifyAuditLog(db, env.ctx.keyring)).toMatchObject({
      ok: false,
      kind: 'missing',
      firstBadEvent: 17,
    });
  });

  it('names two swapped events', async () => {
    env = await makeEnv(kind);
    await seedEvents(env, 30);
    const db = env.ctx.store.db;
    await db.updateTable('audit_events').set({ seq: 1000 }).where('seq', '=', 20).execute();
    await db.updateTable('audit_events').set({ seq: 20 }).where('seq', '=', 21).execute();
    await db.updateTable('audit_events').set({ seq: 21 }).where('seq', '=', 1000).execute();
    await verifyEverywhere({ ok: false, kind: 'reordered', firstBadEvent: 20 });
  });

  it('detects the tail rewritten after a checkpoint, with or without the keys', async () => {
    env = await makeEnv(kind);
    await seedEvents(env, 20);
    await checkpointAt(env.ctx.store.db, env.ctx.keyring, ORIGIN, env.clock.now(), 20);
    await seedEvents(env, 10);
    await checkpointAt(env.ctx.store.db, env.ctx.keyring, ORIGIN, env.clock.now(), 30);
    const db = env.ctx.store.db;
    // Rewrite events 25..29 as an insider would: new content, leaf hashes recomputed, no MAC key.
    for (let s = 25; s < 30; s++) {
      const e = Buffer.from((await entryOf(env, s)).toString().replace('"success"', '"failure"'));
      await db
        .updateTable('audit_events')
        .set({ entry: e, leaf_hash: hashLeaf(e), outcome: 'failure' })
        .where('seq', '=', s)
        .execute();
    }
    await verifyEverywhere({ ok: false, kind: 'altered', firstBadEvent: 25 });
    // With the keys, every event checks out alone; only the signed checkpoint of size 30 objects.
    await rebuildTree(env);
    await verifyEverywhere({ ok: false, kind: 'rewritten', firstBadEvent: 20 });
  });

  it('serves proofs that the offline verifier checks against a trusted checkpoint', async () => {
    env = await makeEnv(kind);
    await seedEvents(env, 12);
    const officer = await loginAs(env, 'auditor');
    const dir = fs.mkdtempSync(path.join(env.db.dataDir, 'proofs-'));
    const trusted = await officer.client.get('/api/v1/audit/checkpoint');
    expect(trusted.status).toBe(200);
    const size1 = trusted.body.size as number;
    fs.writeFileSync(path.join(dir, 'trusted.note'), trusted.body.note);
    fs.writeFileSync(path.join(dir, 'key'), trusted.body.publicKey);
    await seedEvents(env, 9);

    const inclusion = await officer.client.get(
      `/api/v1/audit/proof/inclusion?event=7&size=${size1}`,
    );
    expect(inclusion.status).toBe(200);
    fs.writeFileSync(path.join(dir, 'inclusion.json'), inclusion.text);
    const check = (proof: string, checkpoint = 'trusted.note') =>
      runCli([
        'audit',
        'check-proof',
        '--proof',
        path.join(dir, proof),
        '--checkpoint',
        path.join(dir, checkpoint),
        '--key',
        path.join(dir, 'key'),
      ]);
    let r = await check('inclusion.json');
    expect(r.stdout).toContain('ok: event 7 is included');
    expect(r.code).toBe(0);

    const tampered = { ...inclusion.body, proof: [...inclusion.body.proof] };
    tampered.proof[0] = Buffer.alloc(32, 7).toString('base64');
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(tampered));
    r = await check('bad.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED');

    const consistency = await officer.client.get(`/api/v1/audit/proof/consistency?from=${size1}`);
    expect(consistency.status).toBe(200);
    fs.writeFileSync(path.join(dir, 'consistency.json'), consistency.text);
    r = await check('consistency.json');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`extends the trusted log of ${size1} events`);

    // Someone with every key rewrites an old event: the new history no longer extends the old one.
    const e = Buffer.from((await entryOf(env, 3)).toString().replace('"success"', '"failure"'));
    await env.ctx.store.db
      .updateTable('audit_events')
      .set({ entry: e, outcome: 'failure' })
      .where('seq', '=', 3)
      .execute();
    await rebuildTree(env);
    await env.ctx.store.db.deleteFrom('audit_checkpoints').execute();
    const rewritten = await officer.client.get(`/api/v1/audit/proof/consistency?from=${size1}`);
    fs.writeFileSync(path.join(dir, 'rewritten.json'), rewritten.text);
    r = await check('rewritten.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('history was rewritten');

    // A checkpoint signed by another key is not trusted.
    const other = await makeEnv(kind);
    try {
      fs.writeFileSync(
        path.join(dir, 'key'),
        (await (await loginAs(other, 'auditor')).client.get('/api/v1/audit/checkpoint')).body
          .publicKey,
      );
      r = await check('inclusion.json');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('trusted checkpoint is not valid');
    } finally {
      await other.close();
    }
  });
});
