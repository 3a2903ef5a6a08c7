// SCAFFOLD: POST /api/v1/inquiries and the staff inquiry views.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function collectionRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
