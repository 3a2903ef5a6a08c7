// SCAFFOLD: consent API (events, config, receipts, withdrawal, staff ledger views) under /api/v1.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function consentRoutes(_ctx: AppContext) {
  return async function register(_app: FastifyInstance): Promise<void> {};
}
