// Staff passwords: argon2id with the OWASP Password Storage Cheat Sheet parameters (m = 19 MiB,
// t = 2, p = 1), re-hashed on login when the stored parameters are older. Hashing is CPU-heavy
// (~20 ms here), so concurrent hashes are capped: a login flood must not starve the server (API4).
import { hash, verify, type Options } from '@node-rs/argon2';

// Algorithm.Argon2id; the package declares it as a const enum, which isolated modules cannot read.
const ARGON2ID = 2 as Options['algorithm'];

export const ARGON2_PARAMS: Options = {
  algorithm: ARGON2ID,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;
const CURRENT_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

// A few of the most common passwords (ASVS 6.2.4 asks for a breached/common list); the length
// floor already excludes most of the public top lists.
const COMMON = new Set([
  'password1234',
  '123456789012',
  'qwertyuiop12',
  '111111111111',
  'passwordpassword',
  'iloveyou1234',
  'administrator',
  'changeme1234',
  'welcome12345',
  'letmein12345',
  'qwerty123456',
  '1q2w3e4r5t6y',
  'abc123456789',
  'password123!',
  'custoscustos',
  'privacy12345',
]);

/** Why a new password is refused, or null when acceptable (ASVS 6.2.1, 6.2.4, 6.2.5, 6.2.9). */
export function passwordProblem(password: string, context: readonly string[] = []): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'is one of the most common passwords';
  if (new Set(lower).size < 4) return 'repeats too few different characters';
  for (const word of context)
    if (word.length >= 4 && lower.includes(word.toLowerCase()))
      return 'must not contain your e-mail name or the product name';
  return null;
}

let running = 0;
const waiting: Array<() => void> = [];
const MAX_CONCURRENT = 2;

async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export const hashPassword = (password: string): Promise<string> =>
  limited(() => hash(password, ARGON2_PARAMS));

export const verifyPassword = (stored: string, password: string): Promise<boolean> =>
  limited(() => verify(stored, password).catch(() => false));

/** True when a stored hash uses older parameters and should be replaced after a good login. */
export const needsRehash = (stored: string): boolean => !stored.startsWith(CURRENT_PREFIX);

// A fixed hash to verify against when the account does not exist, so the response time does not
// reveal which e-mail addresses have accounts (ASVS 6.3.8 timing).
let decoy: Promise<string> | null = null;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword('decoy password that matches nothing');
  return decoy;
}
