// Field-level encryption of personal values. Each value is sealed with its owner's data key under
// AES-256-GCM; the associated data binds the ciphertext to the exact (table, column, row) it was
// written for, so a ciphertext copied to another row, column or table refuses to decrypt.
import { openAes256, sealAes256 } from './primitives.js';

/** Where a sealed value lives. */
export interface FieldBinding {
  table: string;
  column: string;
  rowId: string;
}

// JSON encoding keeps the parts unambiguous: no separator can be smuggled inside a part. The
// bytes equal JSON.stringify(['custos:field:v1', table, column, rowId]); the constant prefix per
// (table, column) is built once, since this runs for every value read or written.
const prefixes = new Map<string, string>();
function aadOf(b: FieldBinding): Buffer {
  const key = `${b.table}\u0000${b.column}`;
  let prefix = prefixes.get(key);
  if (prefix === undefined) {
    prefix = JSON.stringify(['custos:field:v1', b.table, b.column]).slice(0, -1);
    prefixes.set(key, prefix);
  }
  return Buffer.from(`${prefix},${JSON.stringify(b.rowId)}]`, 'utf8');
}

/** Seals a personal value for one (table, column, row). */
export function encryptField(dataKey: Buffer, value: string, binding: FieldBinding): Buffer {
  return sealAes256(dataKey, value, aadOf(binding));
}

/** Opens a sealed value; throws CryptoError when the key, binding or bytes are wrong. */
export function decryptField(dataKey: Buffer, sealed: Buffer, binding: FieldBinding): string {
  return openAes256(dataKey, sealed, aadOf(binding)).toString('utf8');
}
