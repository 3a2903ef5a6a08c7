// Cross-border transfers: HTTP routes. Reading and drafting need the register permissions;
// approving needs `transfers.approve`, because approval is what lets PI through the export guard.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.js';
import { principal } from '../../http/access.js';
import { Params } from '../disclosures/schema.js';
import {
  Approve,
  NewTransfer,
  Revoke,
  TransferList,
  TransferPatch,
  VolumesQuery,
} from './schema.js';
import {
  approveTransfer,
  createTransfer,
  getTransfer,
  listTransfers,
  revokeTransfer,
  transferVolumes,
  updateTransfer,
} from './service.js';

export function transferRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['transfers'];
    const read = { access: { permission: 'registers.read' as const } };
    const write = { access: { permission: 'registers.write' as const } };
    const approve = { access: { permission: 'transfers.approve' as const } };

    api.get(
      '/transfers',
      { config: read, schema: { tags, querystring: TransferList } },
      (request) => listTransfers(ctx, request.query),
    );
    api.get(
      '/transfers/volumes',
      { config: read, schema: { tags, querystring: VolumesQuery } },
      (request) => transferVolumes(ctx, request.query),
    );
    api.get('/transfers/:id', { config: read, schema: { tags, params: Params } }, (request) =>
      getTransfer(ctx, request.params.id),
    );
    api.post(
      '/transfers',
      { config: write, schema: { tags, body: NewTransfer } },
      async (request, reply) =>
        reply.code(201).send(await createTransfer(ctx, principal(request), request.body)),
    );
    api.patch(
      '/transfers/:id',
      { config: write, schema: { tags, params: Params, body: TransferPatch } },
      (request) => updateTransfer(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/transfers/:id/approve',
      { config: approve, schema: { tags, params: Params, body: Approve } },
      (request) => approveTransfer(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/transfers/:id/revoke',
      { config: approve, schema: { tags, params: Params, body: Revoke } },
      (request) => revokeTransfer(ctx, principal(request), request.params.id, request.body),
    );
  };
}
