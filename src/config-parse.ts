// How a setting's text becomes a value: the shape of a documented setting, the problems a bad value
// is reported with, and the parsers the settings table (config.ts) is written with.

export type Environment = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** What is wrong with one setting and how to fix it. */
export interface Problem {
  problem: string;
  hint: string;
}

export const isProblem = (v: unknown): v is Problem =>
  typeof v === 'object' && v !== null && 'problem' in v && 'hint' in v;

/** The settings read before others that derive their defaults from them. */
export interface Earlier {
  env?: Environment;
  host?: string;
  port?: number;
  baseUrl?: string;
}

/** One documented setting: its environment name, optional CLI flag, default and parser. */
export interface Setting<T> {
  env: string;
  flag?: string;
  doc: string;
  /** Shown in the README table; `undefined` means "unset". */
  defaultDoc: string;
  parse: (raw: string | undefined, earlier: Earlier) => T | Problem;
}

export const int =
  (min: number, max: number, hint: string) =>
  (raw: string | undefined, fallback: number): number | Problem => {
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d+$/.test(raw.trim())) return { problem: `"${raw}" is not a whole number`, hint };
    const n = Number(raw.trim());
    if (!Number.isSafeInteger(n) || n < min || n > max)
      return { problem: `${n} is outside ${min}..${max}`, hint };
    return n;
  };

export const oneOf =
  <T extends string>(values: readonly T[], fallback: T) =>
  (raw: string | undefined): T | Problem => {
    if (raw === undefined || raw === '') return fallback;
    const v = raw.trim() as T;
    return values.includes(v)
      ? v
      : {
          problem: `"${raw}" is not one of ${values.join(', ')}`,
          hint: `use one of: ${values.join(' | ')}`,
        };
  };

/** Accepts 32 bytes written as 64 hex digits or as base64 (standard or URL-safe). */
export function parseKey32(raw: string): Buffer | null {
  const s = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return b.length === 32 ? b : null;
  }
  return null;
}
