// The data map: HTTP routes (placeholder until the module lands).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function datamapRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
