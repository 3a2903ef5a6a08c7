// SCAFFOLD: the server-rendered consultation page GET/POST /privacy/consult.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function collectionPageRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
