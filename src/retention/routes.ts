// Retention: HTTP routes for the schedule, legal holds and sweeps. Thin: validate, authorise,
// call the service, present.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { principal } from '../http/access.js';
import { createHold, getHold, listHolds, releaseHold } from './holds.js';
import { retentionSchedule } from './schedule.js';
import {
  HoldList,
  HoldParams,
  NewHold,
  NewRun,
  ReleaseHold,
  RunList,
  RunParams,
} from './schema.js';
import { getRun, listRuns, runRetentionAs } from './sweep.js';

export function retentionRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['retention'];
    const read = { access: { permission: 'retention.read' as const } };
    const manage = { access: { permission: 'retention.manage' as const } };

    api.get('/retention/schedule', { config: read, schema: { tags } }, (request) =>
      retentionSchedule(ctx, principal(request)),
    );

    api.get(
      '/retention/holds',
      { config: read, schema: { tags, querystring: HoldList } },
      (request) => listHolds(ctx, principal(request), request.query),
    );
    api.post(
      '/retention/holds',
      { config: manage, schema: { tags, body: NewHold } },
      async (request, reply) =>
        reply.code(201).send(await createHold(ctx, principal(request), request.body)),
    );
    api.get(
      '/retention/holds/:id',
      { config: read, schema: { tags, params: HoldParams } },
      (request) => getHold(ctx, principal(request), request.params.id),
    );
    api.post(
      '/retention/holds/:id/release',
      { config: manage, schema: { tags, params: HoldParams, body: ReleaseHold } },
      (request) => releaseHold(ctx, principal(request), request.params.id, request.body),
    );

    api.get(
      '/retention/runs',
      { config: read, schema: { tags, querystring: RunList } },
      (request) => listRuns(ctx, request.query),
    );
    api.post('/retention/runs', { config: manage, schema: { tags, body: NewRun } }, (request) =>
      runRetentionAs(ctx, principal(request), request.body.dryRun),
    );
    api.get(
      '/retention/runs/:id',
      { config: read, schema: { tags, params: RunParams } },
      (request) => getRun(ctx, request.params.id),
    );
  };
}
