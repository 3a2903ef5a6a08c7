// Where the master secret comes from: CUSTOS_MASTER_KEY, or a key file created at first start.
// The master secret only wraps the keyring (see keyring.ts); it never encrypts personal data.
import fs from 'node:fs';
import path from 'node:path';
import { parseKey32 } from '../config.js';
import { randomKey } from './primitives.js';

export const KEY_FILE_NAME = 'master.key';

/** Why the master key cannot be used; the CLI prints the message and exits with status 2. */
export class MasterKeyError extends Error {}

/**
 * Resolves the master key. With no configured key, reads `<dataDir>/master.key`; when that file is
 * missing it is created — unless the database already holds encrypted data, in which case a new
 * key would silently orphan every value, so we refuse loudly instead.
 */
export function resolveMasterKey(options: {
  configured: Buffer | null;
  dataDir: string;
  encryptedDataExists: boolean;
}): { key: Buffer; source: 'env' | 'file' | 'created' } {
  if (options.configured !== null) return { key: options.configured, source: 'env' };
  const file = path.join(options.dataDir, KEY_FILE_NAME);
  if (fs.existsSync(file)) return { key: readKeyFile(file), source: 'file' };
  if (options.encryptedDataExists) {
    throw new MasterKeyError(
      [
        `REFUSING TO START: the master key file ${file} is missing, but the database already holds encrypted data.`,
        'Starting with a new key would make every stored personal value unreadable.',
        'Restore the key file from your key backup (or set CUSTOS_MASTER_KEY to the original key).',
      ].join('\n'),
    );
  }
  const key = randomKey(32);
  writeKeyFile(file, key);
  return { key, source: 'created' };
}

function readKeyFile(file: string): Buffer {
  const stat = fs.statSync(file);
  // Like ssh with private keys: a key others can read is treated as already leaked.
  if ((stat.mode & 0o077) !== 0) {
    throw new MasterKeyError(
      `The master key file ${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}). Run: chmod 600 ${file}`,
    );
  }
  const key = parseKey32(fs.readFileSync(file, 'utf8'));
  if (key === null)
    throw new MasterKeyError(
      `The master key file ${file} does not hold a 32-byte base64 or hex key.`,
    );
  return key;
}

/** Writes tmp → fsync → rename → fsync(dir), so a crash leaves either no file or the whole key. */
function writeKeyFile(file: string, key: Buffer): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, `${key.toString('base64')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
