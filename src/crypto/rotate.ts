// `custos keys rotate`: adds a key-encryption-key version and re-wraps every data key under it,
// batch by batch, without touching a single encrypted value (Vault's rewrap). Safe while servers
// run: they read the active version under a share lock when wrapping, and load new versions when
// they meet them. A retired KEK is destroyed once no data key uses it. Resumable: run it again
// after a crash and it finishes the re-wrap and the destruction.
import type { Actor } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import { transaction, type Store } from '../db/store.js';
import type { Keyring } from './keyring.js';

export interface RotationReport {
  from: number | null;
  to: number;
  rewrapped: number;
  destroyed: number[];
}

async function activeVersion(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('keyring')
    .select('version')
    .where('purpose', '=', 'kek')
    .where('state', '=', 'active')
    .executeTakeFirstOrThrow();
  return row.version;
}

/**
 * Rotates (or, with `resumeOnly`, finishes an interrupted rotation): new version, re-wrap in
 * batches, destroy retired versions no data key needs.
 */
export async function rotateKeks(
  store: Store,
  keyring: Keyring,
  audit: AuditLog,
  actor: Actor,
  options: { batchSize?: number; resumeOnly?: boolean; onProgress?: (done: number) => void } = {},
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 1000;
  let from: number | null = null;
  let to: number;
  if (options.resumeOnly) {
    to = await activeVersion(store);
  } else {
    ({ from, to } = await transaction(store, async (trx) => {
      const versions = await keyring.addKekVersion(trx, store);
      await audit.record(trx, {
        actor,
        action: 'keys.rotate_started',
        target: { type: 'kek', id: String(versions.to) },
        outcome: 'success',
        details: { from: versions.from, to: versions.to },
      });
      return versions;
    }));
  }

  let rewrapped = 0;
  for (;;) {
    const n = await transaction(store, async (trx) => {
      const rows = await trx
        .selectFrom('data_keys')
        .select(['id', 'owner_type', 'owner_id', 'kek_version', 'wrapped'])
        .where('kek_version', '!=', to)
        .limit(batchSize)
        .execute();
      for (const row of rows) {
        const wrapped = await keyring.rewrap(trx, row, to);
        // Conditional on the version we read: a concurrent erasure or rotation wins cleanly.
        await trx
          .updateTable('data_keys')
          .set({ kek_version: to, wrapped })
          .where('id', '=', row.id)
          .where('kek_version', '=', row.kek_version)
          .execute();
      }
      keyring.noteWrap(to, rows.length);
      return rows.length;
    });
    rewrapped += n;
    options.onProgress?.(rewrapped);
    if (n < batchSize) break;
  }

  const destroyed = await transaction(store, async (trx) => {
    let q = trx
      .selectFrom('keyring')
      .select(['id', 'version'])
      .where('purpose', '=', 'kek')
      .where('state', '=', 'retired');
    if (store.dialect === 'postgres') q = q.forUpdate();
    const retired = await q.execute();
    const gone: number[] = [];
    for (const r of retired) {
      const still = await trx
        .selectFrom('data_keys')
        .select('id')
        .where('kek_version', '=', r.version)
        .limit(1)
        .executeTakeFirst();
      if (still !== undefined) continue;
      await trx
        .updateTable('keyring')
        .set({ state: 'destroyed', material: null })
        .where('id', '=', r.id)
        .execute();
      gone.push(r.version);
    }
    await audit.record(trx, {
      actor,
      action: 'keys.rotate_completed',
      target: { type: 'kek', id: String(to) },
      outcome: 'success',
      details: { rewrapped, destroyed: gone.map(String) },
    });
    return gone;
  });
  await keyring.flushUsage(store.db);
  await keyring.reload(store.db);
  return { from, to, rewrapped, destroyed };
}
