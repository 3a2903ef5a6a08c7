// The ordered list of migrations. Listed statically (not read from the folder) so the compiled
// build and the TypeScript sources behave the same. Append only.
import type { Migration } from 'kysely';
import * as foundation from './2026-11-28T00-00_foundation.js';

export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-28T00-00_foundation': foundation,
};
