// Rights requests: the public intake API and the staff workflow (placeholder until the module lands).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function requestRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
