// SCAFFOLD: guardian verification and consent (API under /api/v1 and the guardian page).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

export function guardianRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
