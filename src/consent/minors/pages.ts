// SCAFFOLD: the guardian's page (no JavaScript) at /privacy/guardian/:id.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

export function guardianPageRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
