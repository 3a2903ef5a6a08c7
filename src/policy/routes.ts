// SCAFFOLD: policy versions under /api/v1/policies.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function policyRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
