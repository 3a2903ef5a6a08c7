// The data map over HTTP: categories, purposes, recipients and systems (list, read, create,
// update, retire), every entry's history, and the records of processing activities.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { principal } from '../http/access.js';
import {
  createCategory,
  getCategory,
  listCategories,
  retireCategory,
  updateCategory,
} from './categories.js';
import { listHistory } from './history.js';
import {
  createPurpose,
  getPurpose,
  listPurposes,
  retirePurpose,
  updatePurpose,
} from './purposes.js';
import {
  createRecipient,
  getRecipient,
  listRecipients,
  retireRecipient,
  updateRecipient,
} from './recipients.js';
import { exportRopa } from './ropa.js';
import {
  CategoryPatch,
  EntryList,
  HistoryQuery,
  IdParams,
  KeyParams,
  NewCategory,
  NewPurpose,
  NewRecipient,
  NewSystem,
  PurposePatch,
  RecipientPatch,
  RopaQuery,
  SystemPatch,
} from './schema.js';
import { createSystem, getSystem, listSystems, retireSystem, updateSystem } from './systems.js';

export function datamapRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['datamap'];
    const read = { access: { permission: 'datamap.read' as const } };
    const write = { access: { permission: 'datamap.write' as const } };
    const base = '/datamap';

    // Categories, by key.
    api.get(
      `${base}/categories`,
      { config: read, schema: { tags, querystring: EntryList } },
      (request) => listCategories(ctx, request.query),
    );
    api.get(
      `${base}/categories/:key`,
      { config: read, schema: { tags, params: KeyParams } },
      (request) => getCategory(ctx, request.params.key),
    );
    api.post(
      `${base}/categories`,
      { config: write, schema: { tags, body: NewCategory } },
      async (request, reply) =>
        reply.code(201).send(await createCategory(ctx, principal(request), request.body)),
    );
    api.patch(
      `${base}/categories/:key`,
      { config: write, schema: { tags, params: KeyParams, body: CategoryPatch } },
      (request) => updateCategory(ctx, principal(request), request.params.key, request.body),
    );
    api.post(
      `${base}/categories/:key/retire`,
      { config: write, schema: { tags, params: KeyParams } },
      (request) => retireCategory(ctx, principal(request), request.params.key),
    );

    // Purposes, by key.
    api.get(
      `${base}/purposes`,
      { config: read, schema: { tags, querystring: EntryList } },
      (request) => listPurposes(ctx, request.query),
    );
    api.get(
      `${base}/purposes/:key`,
      { config: read, schema: { tags, params: KeyParams } },
      (request) => getPurpose(ctx, request.params.key),
    );
    api.post(
      `${base}/purposes`,
      { config: write, schema: { tags, body: NewPurpose } },
      async (request, reply) =>
        reply.code(201).send(await createPurpose(ctx, principal(request), request.body)),
    );
    api.patch(
      `${base}/purposes/:key`,
      { config: write, schema: { tags, params: KeyParams, body: PurposePatch } },
      (request) => updatePurpose(ctx, principal(request), request.params.key, request.body),
    );
    api.post(
      `${base}/purposes/:key/retire`,
      { config: write, schema: { tags, params: KeyParams } },
      (request) => retirePurpose(ctx, principal(request), request.params.key),
    );

    // Recipients, by id.
    api.get(
      `${base}/recipients`,
      { config: read, schema: { tags, querystring: EntryList } },
      (request) => listRecipients(ctx, request.query),
    );
    api.get(
      `${base}/recipients/:id`,
      { config: read, schema: { tags, params: IdParams } },
      (request) => getRecipient(ctx, request.params.id),
    );
    api.post(
      `${base}/recipients`,
      { config: write, schema: { tags, body: NewRecipient } },
      async (request, reply) =>
        reply.code(201).send(await createRecipient(ctx, principal(request), request.body)),
    );
    api.patch(
      `${base}/recipients/:id`,
      { config: write, schema: { tags, params: IdParams, body: RecipientPatch } },
      (request) => updateRecipient(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      `${base}/recipients/:id/retire`,
      { config: write, schema: { tags, params: IdParams } },
      (request) => retireRecipient(ctx, principal(request), request.params.id),
    );

    // Systems, by id.
    api.get(
      `${base}/systems`,
      { config: read, schema: { tags, querystring: EntryList } },
      (request) => listSystems(ctx, request.query),
    );
    api.get(
      `${base}/systems/:id`,
      { config: read, schema: { tags, params: IdParams } },
      (request) => getSystem(ctx, request.params.id),
    );
    api.post(
      `${base}/systems`,
      { config: write, schema: { tags, body: NewSystem } },
      async (request, reply) =>
        reply.code(201).send(await createSystem(ctx, principal(request), request.body)),
    );
    api.patch(
      `${base}/systems/:id`,
      { config: write, schema: { tags, params: IdParams, body: SystemPatch } },
      (request) => updateSystem(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      `${base}/systems/:id/retire`,
      { config: write, schema: { tags, params: IdParams } },
      (request) => retireSystem(ctx, principal(request), request.params.id),
    );

    api.get(
      `${base}/history`,
      { config: read, schema: { tags, querystring: HistoryQuery } },
      (request) => listHistory(ctx.store.db, request.query),
    );

    // Records of processing: JSON by default, CSV for spreadsheets and regulators.
    api.get(
      `${base}/ropa`,
      { config: read, schema: { tags, querystring: RopaQuery } },
      async (request, reply) => {
        const format = request.query.format ?? 'json';
        const { body } = await exportRopa(ctx, actorOf(principal(request)), format);
        if (format === 'csv')
          return reply
            .type('text/csv; charset=utf-8; header=present')
            .header('content-disposition', 'attachment; filename="records-of-processing.csv"')
            .send(body);
        return reply.type('application/json; charset=utf-8').send(body);
      },
    );
  };
}
