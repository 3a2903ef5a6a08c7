// SCAFFOLD: GET|POST /api/v1/unsubscribe, marketing sends and the suppression list.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

export function optoutRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
