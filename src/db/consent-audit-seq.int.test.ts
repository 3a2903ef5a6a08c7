// Upgrading a database whose consent ledger predates `audit_seq` (SQLite and PostgreSQL): each
// earlier record is linked to the `consent.record` event written for it, the lookup indexes become
// partial, and the ledger check agrees with the result.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalEntry } from '../audit/events.js';
import { hashLeaf } from '../audit/merkle.js';
import { verifyConsentLedger } from '../consent/verify.js';
import { DB_KINDS, freshDb, type FreshDb } from '../../test/support/db.js';
import { migrateTo, migrateToLatest } from './migrate.js';
import { openStore, type Store } from './store.js';

const BEFORE = '2026-11-28T03-10_disclosure_consent';

describe.each(DB_KINDS)('consent audit_seq migration on %s', (kind) => {
  let db: FreshDb | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    await db?.cleanup();
  });

  it('links earlier records to their own audit events and makes the lookup indexes partial', async () => {
    db = await freshDb(kind);
    store = openStore(db.options);
    await migrateTo(store, BEFORE);

    const at = '2026-11-01T08:00:00.000Z';
    const records = [0, 1].map((i) => ({ id: randomUUID(), seq: 1000 + i }));
    for (const r of records) {
      const entry = canonicalEntry(at, {
        actor: { type: 'anonymous', id: null },
        action: 'consent.record',
        target: { type: 'consent_record', id: r.id },
        controllerId: 'self',
        outcome: 'success',
        details: {
          subject: null,
          purpose: 'website_analytics',
          decision: 'grant',
          method: 'banner',
          policyVersion: '2026.1',
        },
      });
      await sql`insert into audit_events (seq, at, action, actor_type, actor_id, target_type,
          target_id, controller_id, outcome, entry, leaf_hash, mac)
        values (${r.seq}, ${at}, 'consent.record', 'anonymous', ${null}, 'consent_record', ${r.id},
          'self', 'success', ${entry}, ${hashLeaf(entry)}, ${Buffer.alloc(32)})`.execute(store.db);
      await sql`insert into consent_records (id, subject_id, visitor_digest, controller_id,
          purpose_key, decision, policy_version, notice_sha256, method, source, lang, ip_prefix,
          ua_hash, gpc, dnt, created_at)
        values (${r.id}, ${null}, ${Buffer.alloc(32, r.seq % 256)}, 'self', 'website_analytics',
          'grant', '2026.1', ${null}, 'banner', 'banner', 'en', ${null}, ${null}, 0, 0, ${at})`.execute(
        store.db,
      );
    }
    // One record whose event never existed stays unlinked, and the check says so.
    const orphan = randomUUID();
    await sql`insert into consent_records (id, subject_id, visitor_digest, controller_id,
        purpose_key, decision, policy_version, notice_sha256, method, source, lang, ip_prefix,
        ua_hash, gpc, dnt, created_at)
      values (${orphan}, ${null}, ${Buffer.alloc(32, 7)}, 'self', 'website_analytics', 'deny',
        '2026.1', ${null}, 'banner', 'banner', 'en', ${null}, ${null}, 0, 0, ${at})`.execute(
      store.db,
    );

    const applied = await migrateToLatest(store);
    expect(applied).toContain('2026-11-28T23-00_consent_audit_seq');
    const rows = await store.db
      .selectFrom('consent_records')
      .select(['id', 'audit_seq'])
      .orderBy('id')
      .execute();
    const seqOf = new Map(
      rows.map((r) => [r.id, r.audit_seq === null ? null : Number(r.audit_seq)]),
    );
    for (const r of records) expect(seqOf.get(r.id)).toBe(r.seq);
    expect(seqOf.get(orphan)).toBeNull();

    const check = await verifyConsentLedger(store.db);
    expect(check.records).toBe(3);
    expect(check.recordEvents).toBe(2);
    expect(check.problems).toEqual([
      expect.objectContaining({ kind: 'unaudited', recordId: orphan, auditSeq: null }),
    ]);

    const indexes =
      kind === 'sqlite'
        ? await sql<{ name: string; sql: string | null }>`select name, sql from sqlite_master
            where type = 'index' and tbl_name = 'consent_records'`.execute(store.db)
        : await sql<{ name: string; sql: string | null }>`select indexname as name, indexdef as sql
            from pg_indexes where tablename = 'consent_records' and schemaname = current_schema()`.execute(
            store.db,
          );
    const byName = new Map(indexes.rows.map((i) => [i.name, (i.sql ?? '').toLowerCase()]));
    expect(byName.get('consent_records_subject')).toMatch(/where.*subject_id is not null/);
    expect(byName.get('consent_records_visitor')).toMatch(/where.*visitor_digest is not null/);
  });
});
