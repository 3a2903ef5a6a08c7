// SCAFFOLD: GET /consent.js, the lazily loaded UI script and GET /.well-known/gpc.json.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

export function bannerRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
