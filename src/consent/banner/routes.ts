// The cookie banner as other sites load it: GET /consent.js (the synchronous gate), GET
// /consent-ui.js (the banner UI it loads when someone is asked) and GET /.well-known/gpc.json.
// All public and credential-free; the scripts are the same bytes for everyone, so they are
// cacheable and shared across origins, unlike every other Custos answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { checkSources, scriptBundle, SCRIPTS, type Bundle, type ScriptName } from './bundle.js';
import { gpcDocument } from './gpc.js';

const publicRoute = { config: { access: { public: true as const } }, schema: { hide: true } };

/** Browsers revalidate after five minutes, so a new banner reaches sites the same hour. */
const CACHE = 'public, max-age=300';

/** RFC 9110 §13.1.2: weak comparison; `*` matches any current representation. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

/** RFC 9110 §12.5.3: gzip is acceptable unless absent or given q=0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function sendScript(request: FastifyRequest, reply: FastifyReply, bundle: Bundle): FastifyReply {
  reply
    .header('cache-control', CACHE)
    .header('etag', bundle.etag)
    .header('vary', 'accept-encoding')
    // A script carries no credentials and no personal data; any site may load it.
    .header('access-control-allow-origin', '*');
  if (etagMatches(request.headers['if-none-match'], bundle.etag)) return reply.code(304).send();
  const gzip = acceptsGzip(request.headers['accept-encoding']);
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.type('application/javascript; charset=utf-8').send(gzip ? bundle.gzip : bundle.body);
}

export function bannerRoutes(ctx: AppContext) {
  const gpc = gpcDocument(ctx);
  return async function register(app: FastifyInstance): Promise<void> {
    await checkSources();
    // The edge marks answers same-origin only (src/http/security.ts) unless a route sets the
    // header itself; these three exist to be fetched by pages of other origins.
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('cross-origin-resource-policy', 'cross-origin');
    });

    for (const name of Object.keys(SCRIPTS) as ScriptName[])
      app.get(`/${name}`, publicRoute, async (request, reply) =>
        sendScript(request, reply, await scriptBundle(name)),
      );

    app.get('/.well-known/gpc.json', publicRoute, async (_request, reply) =>
      reply
        .header('cache-control', CACHE)
        .header('access-control-allow-origin', '*')
        .type('application/json')
        .send(await gpc()),
    );
  };
}
