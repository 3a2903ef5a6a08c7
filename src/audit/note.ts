// Signed checkpoints in the C2SP tlog-checkpoint / signed-note format, so the log can be checked
// with nothing but a checkpoint and the public key (`custos audit check-proof`). Kept free of
// database and application imports: this file and merkle.ts are the whole offline verifier.
//
//   <origin>\n<tree size>\n<base64 root hash>\n      <- the signed body
//   \n
//   — <key name> <base64(key id (4 bytes) || Ed25519 signature (64 bytes))>\n
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

const ED25519_ALG = 0x01;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

/** The body bytes a checkpoint signature covers. */
export function checkpointBody(c: Checkpoint): Buffer {
  return Buffer.from(`${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`, 'utf8');
}

/** Signed-note key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key). */
export function keyId(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Buffer.from([ED25519_ALG]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** The verifier key string `<name>+<hex key id>+<base64(0x01 || public key)>`. */
export function verifierKey(name: string, publicKey: Buffer): string {
  return `${name}+${keyId(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([ED25519_ALG]), publicKey]).toString('base64')}`;
}

/** Parses a verifier key string; null when malformed or not Ed25519. */
export function parseVerifierKey(vkey: string): { name: string; publicKey: Buffer } | null {
  // The name and id never contain '+'; the base64 key may, so split at the first two only.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey.trim());
  if (m === null) return null;
  const [, name, id, key] = m as unknown as [string, string, string, string];
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 33 || raw[0] !== ED25519_ALG) return null;
  const publicKey = raw.subarray(1);
  if (!/^[0-9a-f]{8}$/.test(id) || !keyId(name, publicKey).equals(Buffer.from(id, 'hex')))
    return null;
  return { name, publicKey };
}

export function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
}

/** Signs a checkpoint, returning the raw signature and the full note text. */
export function signCheckpoint(
  c: Checkpoint,
  privateKey: KeyObject,
  publicKey: Buffer,
): { signature: Buffer; note: string } {
  const body = checkpointBody(c);
  const signature = sign(null, body, privateKey);
  return { signature, note: formatNote(c, signature, publicKey) };
}

export function formatNote(c: Checkpoint, signature: Buffer, publicKey: Buffer): string {
  const sig = Buffer.concat([keyId(c.origin, publicKey), signature]).toString('base64');
  return `${checkpointBody(c).toString('utf8')}\n\u2014 ${c.origin} ${sig}\n`;
}

/**
 * Parses a checkpoint note and verifies its signature with the given key. Returns the checkpoint
 * or a reason; never throws on hostile input.
 */
export function openNote(
  note: string,
  key: { name: string; publicKey: Buffer },
): { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string } {
  const split = note.indexOf('\n\n');
  if (split < 0)
    return { ok: false, reason: 'not a signed note (no blank line before the signatures)' };
  const bodyText = note.slice(0, split + 1);
  const lines = bodyText.split('\n');
  if (lines.length < 4)
    return { ok: false, reason: 'checkpoint body needs origin, size and root lines' };
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!/^(0|[1-9]\d{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    return { ok: false, reason: 'checkpoint size is not a decimal number' };
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText)
    return { ok: false, reason: 'root is not a base64 SHA-256 hash' };
  const expectedId = keyId(key.name, key.publicKey);
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (m === null || m[1] !== key.name) continue;
    const blob = Buffer.from(m[2] ?? '', 'base64');
    if (blob.length !== 68 || !blob.subarray(0, 4).equals(expectedId)) continue;
    if (
      verify(null, Buffer.from(bodyText, 'utf8'), publicKeyObject(key.publicKey), blob.subarray(4))
    ) {
      return { ok: true, checkpoint: { origin, size: Number(sizeText), root } };
    }
    return { ok: false, reason: 'signature does not verify' };
  }
  return { ok: false, reason: `no signature by key "${key.name}"` };
}
