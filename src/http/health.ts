// Liveness and readiness for orchestrators. /healthz: the process answers. /readyz: it can do
// useful work: the database answers, no migration is pending, the keyring is open.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { pendingMigrations } from '../db/migrate.js';
import { unavailable } from '../errors.js';

export function healthRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get(
      '/healthz',
      { config: { access: { public: true } }, schema: { tags: ['health'] } },
      () => ({ status: 'ok' }),
    );
    app.get(
      '/readyz',
      { config: { access: { public: true } }, schema: { tags: ['health'] } },
      async () => {
        try {
          await sql`select 1`.execute(ctx.store.db);
        } catch {
          throw unavailable('The database does not answer.');
        }
        const pending = await pendingMigrations(ctx.store);
        if (pending.length > 0)
          throw unavailable(
            `${pending.length} database migration(s) are pending; run \`custos migrate\`.`,
          );
        return { status: 'ready', database: ctx.store.dialect };
      },
    );
  };
}
