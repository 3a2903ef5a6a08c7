// Loading data-map entries with their links, and checking references to other entries.
import type { AppContext } from '../context.js';
import { forUpdate, type Db, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { notFound, validation, type FieldProblem } from '../errors.js';
import type { PurposeEntry, SystemEntry } from './present.js';

type Reader = Db | Trx;

/**
 * Code-point order for keys and ids. PostgreSQL sorts text by its collation (which may skip
 * underscores), so links are ordered here, the same on both databases and in comparisons.
 */
export function codeOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function loadCategory(
  ctx: AppContext,
  db: Reader,
  key: string,
  lock = false,
): Promise<Row<'data_categories'>> {
  const q = db.selectFrom('data_categories').selectAll().where('key', '=', key);
  const row = await (lock ? forUpdate(ctx.store, q) : q).executeTakeFirst();
  if (row === undefined) throw notFound('data category');
  return row;
}

export async function loadRecipient(
  ctx: AppContext,
  db: Reader,
  id: string,
  lock = false,
): Promise<Row<'recipients'>> {
  const q = db.selectFrom('recipients').selectAll().where('id', '=', id);
  const row = await (lock ? forUpdate(ctx.store, q) : q).executeTakeFirst();
  if (row === undefined) throw notFound('recipient');
  return row;
}

/** Purposes with their categories, in the order given. */
export async function withCategories(
  db: Reader,
  rows: Array<Row<'purposes'>>,
): Promise<PurposeEntry[]> {
  if (rows.length === 0) return [];
  const links = await db
    .selectFrom('purpose_categories')
    .selectAll()
    .where(
      'purpose_key',
      'in',
      rows.map((r) => r.key),
    )
    .orderBy('category_key')
    .execute();
  return rows.map((row) => ({
    row,
    categories: links
      .filter((l) => l.purpose_key === row.key)
      .map((l) => ({ key: l.category_key, required: l.required === 1 }))
      .sort((a, b) => codeOrder(a.key, b.key)),
  }));
}

export async function loadPurpose(
  ctx: AppContext,
  db: Reader,
  key: string,
  lock = false,
): Promise<PurposeEntry> {
  const q = db.selectFrom('purposes').selectAll().where('key', '=', key);
  const row = await (lock ? forUpdate(ctx.store, q) : q).executeTakeFirst();
  if (row === undefined) throw notFound('purpose');
  return (await withCategories(db, [row]))[0]!;
}

/** Systems with their category, purpose and recipient links, in the order given. */
export async function withLinks(db: Reader, rows: Array<Row<'systems'>>): Promise<SystemEntry[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  // One query after another: a transaction is one connection, and SQLite runs them in turn anyway.
  const cats = await db
    .selectFrom('system_categories')
    .selectAll()
    .where('system_id', 'in', ids)
    .orderBy('category_key')
    .execute();
  const purposes = await db
    .selectFrom('system_purposes')
    .selectAll()
    .where('system_id', 'in', ids)
    .orderBy('purpose_key')
    .execute();
  const recipients = await db
    .selectFrom('system_recipients')
    .selectAll()
    .where('system_id', 'in', ids)
    .orderBy('recipient_id')
    .execute();
  return rows.map((row) => ({
    row,
    categoryKeys: cats
      .filter((l) => l.system_id === row.id)
      .map((l) => l.category_key)
      .sort(codeOrder),
    purposeKeys: purposes
      .filter((l) => l.system_id === row.id)
      .map((l) => l.purpose_key)
      .sort(codeOrder),
    recipientIds: recipients
      .filter((l) => l.system_id === row.id)
      .map((l) => l.recipient_id)
      .sort(codeOrder),
  }));
}

export async function loadSystem(
  ctx: AppContext,
  db: Reader,
  id: string,
  lock = false,
): Promise<SystemEntry> {
  const q = db.selectFrom('systems').selectAll().where('id', '=', id);
  const row = await (lock ? forUpdate(ctx.store, q) : q).executeTakeFirst();
  if (row === undefined) throw notFound('system');
  return (await withLinks(db, [row]))[0]!;
}

/** Active categories among `keys`, by key. */
export async function activeCategories(
  db: Reader,
  keys: readonly string[],
): Promise<Map<string, Row<'data_categories'>>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .selectFrom('data_categories')
    .selectAll()
    .where('key', 'in', keys)
    .where('status', '=', 'active')
    .execute();
  return new Map(rows.map((r) => [r.key, r]));
}

export async function activePurposeKeys(db: Reader, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db
    .selectFrom('purposes')
    .select('key')
    .where('key', 'in', keys)
    .where('status', '=', 'active')
    .execute();
  return new Set(rows.map((r) => r.key));
}

export async function activeRecipients(
  db: Reader,
  ids: readonly string[],
): Promise<Map<string, Row<'recipients'>>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('recipients')
    .selectAll()
    .where('id', 'in', ids)
    .where('status', '=', 'active')
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Collects pointers of list items that are not among the known ones. */
export function unknownItems(
  pointer: string,
  values: readonly string[],
  known: { has(v: string): boolean },
  detail: string,
): FieldProblem[] {
  return values.flatMap((v, i) =>
    known.has(v) ? [] : [{ pointer: `/body${pointer}/${i}`, detail }],
  );
}

/** Throws one 400 naming every problem; does nothing when there are none. */
export function refuse(problems: readonly FieldProblem[]): void {
  if (problems.length > 0)
    throw validation(`${problems[0]!.pointer} ${problems[0]!.detail}`, [...problems]);
}

/** A page of rows ordered by `id`/`key`: the items and the cursor for the next page. */
export function page<T>(rows: T[], limit: number, cursor: (row: T) => string) {
  const items = rows.slice(0, limit);
  return {
    items,
    next: rows.length > limit && items.length > 0 ? cursor(items[items.length - 1]!) : null,
  };
}

/** A row without its primary key and creation time: the columns an UPDATE may set. */
export function mutableColumns<R extends { created_at: string }, K extends keyof R>(
  row: R,
  key: K,
): Omit<R, K | 'created_at'> {
  const copy: Partial<R> = { ...row };
  delete copy[key];
  delete copy.created_at;
  return copy as Omit<R, K | 'created_at'>;
}
