// Row types of every table, as Kysely sees them. The migrations in ./migrations create exactly
// these columns; the portable column conventions are:
//   - timestamps: ISO-8601 UTC text (`2026-11-28T14:10:56.123Z`), sortable on both dialects;
//   - booleans: integer 0/1;
//   - binary (ciphertexts, hashes): BLOB on SQLite, BYTEA on PostgreSQL, a Buffer in Node;
//   - lists: JSON text.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { ConsentTables } from '../consent/tables.js';
import type { DatamapTables } from '../datamap/tables.js';
import type { NotifyTables } from '../notify/tables.js';
import type { AssessmentTables } from '../registers/assessments/tables.js';
import type { IncidentTables } from '../registers/incidents/tables.js';
import type { RegisterTables } from '../registers/tables.js';
import type { FulfilmentTables } from '../requests/fulfil/tables.js';
import type { ForwardTables } from '../requests/forward/tables.js';
import type { RequestTables } from '../requests/tables.js';
import type { RetentionTables } from '../retention/tables.js';

export interface KeyringTable {
  id: string;
  purpose: 'canary' | 'kek' | 'blind_index' | 'audit_mac' | 'audit_signing';
  version: number;
  state: 'active' | 'retired' | 'destroyed';
  /** The key, sealed under the master secret; null once destroyed. */
  material: Buffer | null;
  /** Ed25519 public key (raw 32 bytes) for audit_signing. */
  public_key: Buffer | null;
  encryptions: number;
  created_at: string;
  retired_at: string | null;
}

export interface DataKeysTable {
  id: string;
  owner_type: 'subject' | 'user' | 'outbox' | 'request';
  owner_id: string;
  kek_version: number;
  wrapped: Buffer;
  created_at: string;
}

export interface ControllersTable {
  id: string;
  slug: string;
  name: string;
  contact_email: string | null;
  region: string;
  status: 'active' | 'archived';
  builtin: number;
  created_at: string;
  updated_at: string;
}

export interface SubjectsTable {
  id: string;
  controller_id: string;
  status: 'active' | 'erased';
  created_at: string;
  updated_at: string;
  erased_at: string | null;
  /** 1: a minor (under 14 by default); their PI is sensitive (PIPL art. 28, art. 31). */
  minor: Generated<number>;
}

export interface PiRecordsTable {
  id: string;
  subject_id: string;
  controller_id: string;
  category: string;
  purpose: string;
  value_enc: Buffer | null;
  source: string;
  collected_at: string;
  region: string;
  created_at: string;
  updated_at: string;
  /** When the purpose's retention period ends; the retention sweep acts on it. */
  expires_at: string | null;
}

export interface SubjectIdentifiersTable {
  kind: string;
  digest: Buffer;
  subject_id: string;
  record_id: string;
  controller_id: string;
}

export interface UsersTable {
  id: string;
  email_index: Buffer;
  email_enc: Buffer;
  password_hash: string;
  roles: string;
  all_controllers: number;
  totp_secret_enc: Buffer | null;
  totp_last_step: number | null;
  failed_logins: number;
  locked_until: string | null;
  hard_locked: number;
  status: 'active' | 'disabled';
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface UserControllersTable {
  user_id: string;
  controller_id: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip_prefix: string | null;
  revoked_at: string | null;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  secret_hash: Buffer;
  scopes: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventsTable {
  seq: number;
  at: string;
  action: string;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  controller_id: string | null;
  outcome: string;
  /** Canonical JSON bytes of the event: the Merkle leaf. */
  entry: Buffer;
  leaf_hash: Buffer;
  /** HMAC over (seq, leaf hash) under the audit MAC key: pins each event to its position. */
  mac: Buffer;
}

export interface AuditNodesTable {
  level: number;
  idx: number;
  hash: Buffer;
}

export interface AuditHeadTable {
  id: number;
  size: number;
  frontier: Buffer;
  updated_at: string;
}

export interface AuditCheckpointsTable {
  size: number;
  root: Buffer;
  origin: string;
  signature: Buffer;
  key_version: number;
  created_at: string;
}

/** Every table; each domain declares its own tables beside its code. */
export interface Database
  extends
    DatamapTables,
    RetentionTables,
    RegisterTables,
    NotifyTables,
    IncidentTables,
    AssessmentTables,
    RequestTables,
    FulfilmentTables,
    ForwardTables,
    ConsentTables {
  keyring: KeyringTable;
  data_keys: DataKeysTable;
  controllers: ControllersTable;
  subjects: SubjectsTable;
  pi_records: PiRecordsTable;
  subject_identifiers: SubjectIdentifiersTable;
  users: UsersTable;
  user_controllers: UserControllersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  audit_nodes: AuditNodesTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
}

export type Row<T extends keyof Database> = Selectable<Database[T]>;
export type NewRow<T extends keyof Database> = Insertable<Database[T]>;
export type RowUpdate<T extends keyof Database> = Updateable<Database[T]>;
// Re-exported so migrations and services share one vocabulary.
export type { ColumnType, Generated };
