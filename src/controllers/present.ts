import type { Row } from '../db/types.js';

/** The allow-list of controller fields (a business client's contact address is not a data subject's). */
export function presentController(row: Row<'controllers'>) {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    contactEmail: row.contact_email,
    region: row.region,
    status: row.status,
    builtin: row.builtin === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
