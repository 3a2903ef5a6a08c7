// The public download of response packages. No login: the person proves they hold the link, and
// the link's token is checked against its stored hash. Rate limited per network, because a public
// route that answers "right or wrong token" invites guessing (ASVS 2.2.1).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { ipPrefix, RateLimiter } from '../../http/rate-limit.js';
import { tooManyRequests } from '../../errors.js';
import { downloadFile } from './files.js';
import { FileParams, FileQuery } from './schema.js';

/** Downloads per network and window: a person retrying is far below it, a guesser far above. */
const DOWNLOADS_PER_WINDOW = 30;
const WINDOW_MS = 10 * 60_000;

export function fulfilmentRoutes(ctx: AppContext) {
  const limiter = new RateLimiter(DOWNLOADS_PER_WINDOW, WINDOW_MS, () => ctx.clock.now().getTime());
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    api.get(
      '/requests/files/:id',
      {
        config: { access: { public: true } },
        schema: { tags: ['requests'], params: FileParams, querystring: FileQuery },
      },
      async (request, reply) => {
        const ip = ipPrefix(request.ip);
        const hit = limiter.hit(ip);
        if (!hit.ok) throw tooManyRequests(hit.retryAfterSeconds);
        const file = await downloadFile(ctx, request.params.id, request.query.token, {
          ipPrefix: ip,
        });
        return reply
          .code(200)
          .header('content-type', file.mediaType)
          .header('content-disposition', `attachment; filename="${file.fileName}"`)
          .header('cache-control', 'no-store')
          .send(file.content);
      },
    );
  };
}
