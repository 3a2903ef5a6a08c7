// Processor mode: controller endpoints and controller responses (placeholder until the module lands).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

export function forwardRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
