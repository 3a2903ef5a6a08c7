// Disclosure, law-enforcement and transfer-of-control registers: HTTP routes. Thin handlers:
// validate (schemas), authorize (declared permission; scope in the service), call the service.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.js';
import { principal } from '../../http/access.js';
import { SubjectParams } from '../../subjects/schema.js';
import {
  createControlTransfer,
  getControlTransfer,
  listControlTransfers,
  updateControlTransfer,
} from './control.js';
import { deliverDisclosure } from './deliver.js';
import {
  createLeRequest,
  decideLeRequest,
  getLeRequest,
  listLeRequests,
  updateLeRequest,
} from './le-requests.js';
import {
  ControlTransferList,
  ControlTransferPatch,
  Decide,
  Deliver,
  DisclosureList,
  DisclosurePatch,
  LeList,
  LePatch,
  NewControlTransfer,
  NewDisclosure,
  NewLeRequest,
  Params,
} from './schema.js';
import {
  createDisclosure,
  getDisclosure,
  listDisclosures,
  listSubjectDisclosures,
  updateDisclosure,
} from './service.js';

export function disclosureRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const read = { access: { permission: 'registers.read' as const } };
    const write = { access: { permission: 'registers.write' as const } };

    const tags = ['disclosures'];
    api.get(
      '/disclosures',
      { config: read, schema: { tags, querystring: DisclosureList } },
      (request) => listDisclosures(ctx, principal(request), request.query),
    );
    api.get('/disclosures/:id', { config: read, schema: { tags, params: Params } }, (request) =>
      getDisclosure(ctx, principal(request), request.params.id),
    );
    api.post(
      '/disclosures',
      { config: write, schema: { tags, body: NewDisclosure } },
      async (request, reply) =>
        reply.code(201).send(await createDisclosure(ctx, principal(request), request.body)),
    );
    api.patch(
      '/disclosures/:id',
      { config: write, schema: { tags, params: Params, body: DisclosurePatch } },
      (request) => updateDisclosure(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/disclosures/:id/deliver',
      {
        // Also needs pi.reveal (checked in the service): the package carries clear values.
        config: { access: { permission: 'pi.disclose' } },
        schema: { tags, params: Params, body: Deliver },
      },
      (request) => deliverDisclosure(ctx, principal(request), request.params.id, request.body),
    );
    api.get(
      '/subjects/:id/disclosures',
      { config: read, schema: { tags: ['subjects', 'disclosures'], params: SubjectParams } },
      (request) => listSubjectDisclosures(ctx, principal(request), request.params.id),
    );

    const le = ['law-enforcement-requests'];
    api.get(
      '/law-enforcement-requests',
      { config: read, schema: { tags: le, querystring: LeList } },
      (request) => listLeRequests(ctx, principal(request), request.query),
    );
    api.get(
      '/law-enforcement-requests/:id',
      { config: read, schema: { tags: le, params: Params } },
      (request) => getLeRequest(ctx, principal(request), request.params.id),
    );
    api.post(
      '/law-enforcement-requests',
      { config: write, schema: { tags: le, body: NewLeRequest } },
      async (request, reply) =>
        reply.code(201).send(await createLeRequest(ctx, principal(request), request.body)),
    );
    api.patch(
      '/law-enforcement-requests/:id',
      { config: write, schema: { tags: le, params: Params, body: LePatch } },
      (request) => updateLeRequest(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/law-enforcement-requests/:id/decide',
      { config: write, schema: { tags: le, params: Params, body: Decide } },
      (request) => decideLeRequest(ctx, principal(request), request.params.id, request.body),
    );

    const control = ['transfers'];
    api.get(
      '/transfers/control',
      { config: read, schema: { tags: control, querystring: ControlTransferList } },
      (request) => listControlTransfers(ctx, principal(request), request.query),
    );
    api.get(
      '/transfers/control/:id',
      { config: read, schema: { tags: control, params: Params } },
      (request) => getControlTransfer(ctx, principal(request), request.params.id),
    );
    api.post(
      '/transfers/control',
      { config: write, schema: { tags: control, body: NewControlTransfer } },
      async (request, reply) =>
        reply.code(201).send(await createControlTransfer(ctx, principal(request), request.body)),
    );
    api.patch(
      '/transfers/control/:id',
      { config: write, schema: { tags: control, params: Params, body: ControlTransferPatch } },
      (request) => updateControlTransfer(ctx, principal(request), request.params.id, request.body),
    );
  };
}
