// The public request and status pages (placeholder until the module lands).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function requestPageRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
