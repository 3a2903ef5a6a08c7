import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { principal } from '../http/access.js';
import { presentController } from './present.js';
import { ControllerList, ControllerParams, ControllerPatch, NewController } from './schema.js';
import {
  archiveController,
  createController,
  deleteController,
  getController,
  listControllers,
  updateController,
} from './service.js';

export function controllerRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['controllers'];
    api.get(
      '/controllers',
      {
        config: { access: { permission: 'controllers.read' } },
        schema: { tags, querystring: ControllerList },
      },
      (request) => listControllers(ctx, principal(request), request.query),
    );
    api.get(
      '/controllers/:id',
      {
        config: { access: { permission: 'controllers.read' } },
        schema: { tags, params: ControllerParams },
      },
      async (request) =>
        presentController(await getController(ctx.store.db, principal(request), request.params.id)),
    );
    api.post(
      '/controllers',
      {
        config: { access: { permission: 'controllers.write' } },
        schema: { tags, body: NewController },
      },
      async (request, reply) =>
        reply.code(201).send(await createController(ctx, principal(request), request.body)),
    );
    api.patch(
      '/controllers/:id',
      {
        config: { access: { permission: 'controllers.write' } },
        schema: { tags, params: ControllerParams, body: ControllerPatch },
      },
      (request) => updateController(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/controllers/:id/archive',
      {
        config: { access: { permission: 'controllers.write' } },
        schema: { tags, params: ControllerParams },
      },
      (request) => archiveController(ctx, principal(request), request.params.id),
    );
    api.delete(
      '/controllers/:id',
      {
        config: { access: { permission: 'controllers.write' } },
        schema: { tags, params: ControllerParams },
      },
      async (request, reply) => {
        await deleteController(ctx, principal(request), request.params.id);
        return reply.code(204).send();
      },
    );
  };
}
