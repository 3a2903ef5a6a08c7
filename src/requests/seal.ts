// A request's personal values (the contact the person gave, their own words, staff notes about the
// case) are sealed with a data key owned by the request itself, so they can be shredded with it and
// never depend on a subject being matched.
import type { AppContext } from '../context.js';
import { decryptField, encryptField } from '../crypto/fields.js';
import type { Db, Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { conflict } from '../errors.js';

/** How the person can be reached, normalised; only what they gave. */
export interface Contact {
  name: string | null;
  email: string | null;
  phone: string | null;
}

const contactBinding = (id: string) => ({ table: 'requests', column: 'contact_enc', rowId: id });
const detailsBinding = (id: string) => ({ table: 'requests', column: 'details_enc', rowId: id });
const noteBinding = (id: string) => ({ table: 'request_notes', column: 'body_enc', rowId: id });

export const sealContact = (key: Buffer, requestId: string, contact: Contact): Buffer =>
  encryptField(key, JSON.stringify(contact), contactBinding(requestId));

export const sealDetails = (key: Buffer, requestId: string, details: string): Buffer =>
  encryptField(key, details, detailsBinding(requestId));

export const sealNote = (key: Buffer, noteId: string, body: string): Buffer =>
  encryptField(key, body, noteBinding(noteId));

/** The request's data key; a conflict when it was shredded. */
export async function requestKey(
  ctx: AppContext,
  db: Db | Trx,
  requestId: string,
): Promise<Buffer> {
  const key = await ctx.keyring.dataKey(db, 'request', requestId);
  if (key === null) throw conflict('The personal details of this request were erased.');
  return key;
}

export interface OpenedRequest {
  contact: Contact;
  details: string | null;
}

/** Opens the contact and details of a request (in memory only; callers mask or audit). */
export async function openRequest(
  ctx: AppContext,
  db: Db | Trx,
  row: Pick<Row<'requests'>, 'id' | 'contact_enc' | 'details_enc'>,
): Promise<OpenedRequest> {
  const empty: Contact = { name: null, email: null, phone: null };
  if (row.contact_enc === null && row.details_enc === null)
    return { contact: empty, details: null };
  // A request whose key was shredded shows nothing rather than failing.
  const key = await ctx.keyring.dataKey(db, 'request', row.id);
  if (key === null) return { contact: empty, details: null };
  return {
    contact:
      row.contact_enc === null
        ? empty
        : (JSON.parse(decryptField(key, row.contact_enc, contactBinding(row.id))) as Contact),
    details:
      row.details_enc === null ? null : decryptField(key, row.details_enc, detailsBinding(row.id)),
  };
}

export const openNote = (key: Buffer, row: Pick<Row<'request_notes'>, 'id' | 'body_enc'>) =>
  decryptField(key, row.body_enc, noteBinding(row.id));
