// The versioned keyring (Tink's keyset idea, Vault's key versions): every key Custos uses, each
// sealed under the master secret and stored in the `keyring` table.
//   kek            key-encryption keys; the one `active` version wraps new data keys
//   blind_index    HMAC key for lookup digests of normalised identifiers (separate from KEKs)
//   audit_mac      HMAC key pinning each audit event to its position in the log
//   audit_signing  Ed25519 key signing audit checkpoints
//   canary         proves the master key matches this database before anything else is read
// Data keys (one per subject, one per staff user) are random and stored wrapped by a KEK, so
// destroying one (crypto-shredding) makes that owner's values unreadable for good; a key derived
// from the master could always be derived again (research/reliability.md §2.6).
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Store, Trx } from '../db/store.js';
import type { KeyringTable, Row } from '../db/types.js';
import { newId } from '../db/ids.js';
import {
  CryptoError,
  hkdfSha256,
  hmacSha256,
  openAes256,
  randomKey,
  sealAes256,
} from './primitives.js';

type Purpose = KeyringTable['purpose'];
/** Who a data key belongs to; an `outbox` key protects one queued message and dies when it is sent. */
export type DataKeyOwner = 'subject' | 'user' | 'outbox' | 'request';

const CANARY = Buffer.from('custos keyring canary v1');
const aadFor = (purpose: Purpose, version: number): Buffer =>
  Buffer.from(`custos:keyring:${purpose}:${version}`);
const dekAad = (owner: DataKeyOwner, ownerId: string, kekVersion: number): Buffer =>
  Buffer.from(JSON.stringify(['custos:dek:v1', owner, ownerId, kekVersion]));

/** Thrown when the master key does not open this database's keyring. */
export class KeyringMismatchError extends Error {}

/** Does the database already hold keys (and therefore encrypted data)? */
export async function keyringExists(db: Db): Promise<boolean> {
  const row = await db.selectFrom('keyring').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

export class Keyring {
  readonly #wrapKey: Buffer;
  readonly #keks = new Map<number, Buffer>();
  readonly #blindKeys = new Map<string, Buffer>();
  #blindRoot: Buffer | null = null;
  #auditMacKey: Buffer | null = null;
  #signing: { privateKey: KeyObject; publicKey: Buffer; version: number } | null = null;
  /** Wraps done since the last flush, per KEK version (flushed by `flushUsage`). */
  readonly #pendingUsage = new Map<number, number>();

  private constructor(masterKey: Buffer) {
    // The master secret itself never touches data: it is stretched into a dedicated wrapping key.
    this.#wrapKey = hkdfSha256(
      masterKey,
      Buffer.from('custos'),
      Buffer.from('keyring wrap v1'),
      32,
    );
  }

  /** Loads the keyring, creating it on first start, and checks the master key against it. */
  static async open(store: Store, masterKey: Buffer): Promise<Keyring> {
    const ring = new Keyring(masterKey);
    if (!(await keyringExists(store.db))) {
      try {
        await store.db.transaction().execute((trx) => ring.#initialise(trx));
      } catch (error) {
        // Another instance initialised it at the same moment (unique purpose+version): use theirs.
        if (!(await keyringExists(store.db))) throw error;
      }
    }
    await ring.reload(store.db);
    return ring;
  }

  async #initialise(trx: Trx): Promise<void> {
    const now = new Date().toISOString();
    const insert = (purpose: Purpose, material: Buffer, publicKey: Buffer | null = null) =>
      trx
        .insertInto('keyring')
        .values({
          id: newId(),
          purpose,
          version: 1,
          state: 'active',
          material: sealAes256(this.#wrapKey, material, aadFor(purpose, 1)),
          public_key: publicKey,
          encryptions: 0,
          created_at: now,
          retired_at: null,
        })
        .execute();
    await insert('canary', CANARY);
    await insert('kek', randomKey(32));
    await insert('blind_index', randomKey(32));
    await insert('audit_mac', randomKey(32));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await insert(
      'audit_signing',
      privateKey.export({ format: 'der', type: 'pkcs8' }),
      rawEd25519Public(publicKey),
    );
  }

  #unseal(row: Pick<Row<'keyring'>, 'purpose' | 'version' | 'material'>): Buffer {
    if (row.material === null)
      throw new CryptoError('bad-format', `${row.purpose} v${row.version} was destroyed`);
    return openAes256(this.#wrapKey, row.material, aadFor(row.purpose, row.version));
  }

  /** Re-reads key rows (after another process rotated, for instance). */
  async reload(db: Db): Promise<void> {
    const rows = await db
      .selectFrom('keyring')
      .selectAll()
      .where('state', '!=', 'destroyed')
      .execute();
    const canary = rows.find((r) => r.purpose === 'canary');
    try {
      if (canary === undefined || !this.#unseal(canary).equals(CANARY)) throw new Error('canary');
    } catch {
      throw new KeyringMismatchError(
        'The master key does not match this database: the keyring cannot be opened. Use the key this database was created with (CUSTOS_MASTER_KEY or the master.key file in CUSTOS_DATA_DIR).',
      );
    }
    for (const row of rows) {
      if (row.purpose === 'kek' && !this.#keks.has(row.version))
        this.#keks.set(row.version, this.#unseal(row));
      if (row.purpose === 'blind_index' && row.state === 'active')
        this.#blindRoot = this.#unseal(row);
      if (row.purpose === 'audit_mac' && row.state === 'active')
        this.#auditMacKey = this.#unseal(row);
      if (row.purpose === 'audit_signing' && row.state === 'active' && row.public_key !== null) {
        const der = this.#unseal(row);
        this.#signing = {
          privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
          publicKey: row.public_key,
          version: row.version,
        };
      }
    }
    // Forget KEKs destroyed elsewhere so a stale copy cannot outlive its destruction here.
    const live = new Set(rows.filter((r) => r.purpose === 'kek').map((r) => r.version));
    for (const v of [...this.#keks.keys()]) if (!live.has(v)) this.#keks.delete(v);
  }

  async #kek(db: Db | Trx, version: number): Promise<Buffer> {
    let kek = this.#keks.get(version);
    if (kek === undefined) {
      await this.reload(db);
      kek = this.#keks.get(version);
    }
    if (kek === undefined)
      throw new CryptoError('bad-format', `key-encryption key v${version} is not available`);
    return kek;
  }

  /** The active KEK row, share-locked on PostgreSQL so a rotation cannot retire it mid-wrap. */
  async #activeKek(
    store: Pick<Store, 'dialect'>,
    trx: Trx,
  ): Promise<{ version: number; key: Buffer }> {
    let q = trx
      .selectFrom('keyring')
      .select('version')
      .where('purpose', '=', 'kek')
      .where('state', '=', 'active');
    if (store.dialect === 'postgres') q = q.forShare();
    // Under READ COMMITTED, a rotation committing while we wait for the lock retires the row we
    // were about to read and inserts the new one outside our statement's snapshot: the lock wait
    // ends with no row. A fresh statement sees the new active version.
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await q.executeTakeFirst();
      if (row !== undefined)
        return { version: row.version, key: await this.#kek(trx, row.version) };
    }
    throw new CryptoError('bad-format', 'no active key-encryption key');
  }

  /** Creates a fresh random data key for an owner, stored wrapped under the active KEK. */
  async createDataKey(
    store: Pick<Store, 'dialect'>,
    trx: Trx,
    owner: DataKeyOwner,
    ownerId: string,
  ): Promise<Buffer> {
    const kek = await this.#activeKek(store, trx);
    const dek = randomKey(32);
    await trx
      .insertInto('data_keys')
      .values({
        id: newId(),
        owner_type: owner,
        owner_id: ownerId,
        kek_version: kek.version,
        wrapped: sealAes256(kek.key, dek, dekAad(owner, ownerId, kek.version)),
        created_at: new Date().toISOString(),
      })
      .execute();
    this.noteWrap(kek.version);
    return dek;
  }

  /** Unwraps an owner's data key; null when it was destroyed (the owner was erased). */
  async dataKey(db: Db | Trx, owner: DataKeyOwner, ownerId: string): Promise<Buffer | null> {
    const row = await db
      .selectFrom('data_keys')
      .select(['kek_version', 'wrapped'])
      .where('owner_type', '=', owner)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    if (row === undefined) return null;
    return openAes256(
      await this.#kek(db, row.kek_version),
      row.wrapped,
      dekAad(owner, ownerId, row.kek_version),
    );
  }

  /** Re-wraps one data key under another KEK version without exposing it outside this call. */
  async rewrap(
    db: Db | Trx,
    row: { owner_type: DataKeyOwner; owner_id: string; kek_version: number; wrapped: Buffer },
    toVersion: number,
  ): Promise<Buffer> {
    const from = await this.#kek(db, row.kek_version);
    const to = await this.#kek(db, toVersion);
    const dek = openAes256(
      from,
      row.wrapped,
      dekAad(row.owner_type, row.owner_id, row.kek_version),
    );
    try {
      return sealAes256(to, dek, dekAad(row.owner_type, row.owner_id, toVersion));
    } finally {
      dek.fill(0);
    }
  }

  /** Crypto-shredding: deletes the owner's data key. Returns whether one existed. */
  async destroyDataKey(trx: Trx, owner: DataKeyOwner, ownerId: string): Promise<boolean> {
    const result = await trx
      .deleteFrom('data_keys')
      .where('owner_type', '=', owner)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Adds a new KEK version as the active one (rotation step 1; see rotate.ts). */
  async addKekVersion(
    trx: Trx,
    store: Pick<Store, 'dialect'>,
  ): Promise<{ from: number; to: number }> {
    let q = trx
      .selectFrom('keyring')
      .select(['id', 'version'])
      .where('purpose', '=', 'kek')
      .where('state', '=', 'active');
    if (store.dialect === 'postgres') q = q.forUpdate();
    const active = await q.executeTakeFirstOrThrow();
    const max = await trx
      .selectFrom('keyring')
      .select(sql<number>`max(version)`.as('v'))
      .where('purpose', '=', 'kek')
      .executeTakeFirstOrThrow();
    const to = Number(max.v) + 1;
    const now = new Date().toISOString();
    await trx
      .updateTable('keyring')
      .set({ state: 'retired', retired_at: now })
      .where('id', '=', active.id)
      .execute();
    const key = randomKey(32);
    await trx
      .insertInto('keyring')
      .values({
        id: newId(),
        purpose: 'kek',
        version: to,
        state: 'active',
        material: sealAes256(this.#wrapKey, key, aadFor('kek', to)),
        public_key: null,
        encryptions: 0,
        created_at: now,
        retired_at: null,
      })
      .execute();
    this.#keks.set(to, key);
    return { from: active.version, to };
  }

  /** Counts one wrap under a KEK version; counts are persisted by `flushUsage`. */
  noteWrap(version: number, count = 1): void {
    this.#pendingUsage.set(version, (this.#pendingUsage.get(version) ?? 0) + count);
  }

  /**
   * Adds the in-memory wrap counts to the stored counters (kept out of the wrap transaction so
   * concurrent writers do not queue on one hot row) and returns the active KEK's total.
   */
  async flushUsage(db: Db): Promise<{ activeVersion: number; encryptions: number }> {
    const pending = [...this.#pendingUsage.entries()];
    this.#pendingUsage.clear();
    for (const [version, count] of pending) {
      await db
        .updateTable('keyring')
        .set({ encryptions: sql`encryptions + ${count}` })
        .where('purpose', '=', 'kek')
        .where('version', '=', version)
        .execute();
    }
    const active = await db
      .selectFrom('keyring')
      .select(['version', 'encryptions'])
      .where('purpose', '=', 'kek')
      .where('state', '=', 'active')
      .executeTakeFirstOrThrow();
    return { activeVersion: active.version, encryptions: Number(active.encryptions) };
  }

  /** HMAC digest of a normalised identifier, under a per-kind key derived from the blind-index key. */
  blindIndex(kind: string, normalised: string): Buffer {
    let key = this.#blindKeys.get(kind);
    if (key === undefined) {
      if (this.#blindRoot === null) throw new CryptoError('bad-format', 'blind-index key missing');
      key = hkdfSha256(
        this.#blindRoot,
        Buffer.alloc(0),
        Buffer.from(`custos blind index v1 ${kind}`),
        32,
      );
      this.#blindKeys.set(kind, key);
    }
    return hmacSha256(key, Buffer.from(normalised, 'utf8'));
  }

  get auditMacKey(): Buffer {
    if (this.#auditMacKey === null) throw new CryptoError('bad-format', 'audit MAC key missing');
    return this.#auditMacKey;
  }

  get signing(): { privateKey: KeyObject; publicKey: Buffer; version: number } {
    if (this.#signing === null) throw new CryptoError('bad-format', 'audit signing key missing');
    return this.#signing;
  }
}

/** Raw 32-byte Ed25519 public key (the last 32 bytes of its SPKI DER encoding). */
export function rawEd25519Public(key: KeyObject): Buffer {
  const der = (key.type === 'public' ? key : createPublicKey(key)).export({
    format: 'der',
    type: 'spki',
  });
  return der.subarray(der.length - 32);
}
