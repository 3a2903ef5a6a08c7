// Disclosure, law-enforcement and transfer-of-control registers: HTTP routes (placeholder until the module lands).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

export function disclosureRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
