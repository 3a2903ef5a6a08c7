// Public facts the request form lists: the business clients a person may name as "whose product".
// Only names and slugs of active controllers leave the server (no contacts, no counts).
import type { AppContext } from '../../context.js';
import type { ControllerChoice } from './views.js';

/** At most this many choices: the select stays usable and the page small. */
const MAX_CHOICES = 500;

/** Active controllers by name, for the form's "whose product or service" select. */
export async function activeControllerChoices(ctx: AppContext): Promise<ControllerChoice[]> {
  const rows = await ctx.store.db
    .selectFrom('controllers')
    .select(['slug', 'name'])
    .where('status', '=', 'active')
    .orderBy('name')
    .orderBy('slug')
    .limit(MAX_CHOICES)
    .execute();
  return rows.map((r) => ({ slug: r.slug, name: r.name }));
}
