// Incidents: HTTP routes under /api/v1/incidents. Thin: validate, authorize, call the service.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.js';
import { principal } from '../../http/access.js';
import {
  ContainBody,
  IncidentList,
  IncidentParams,
  IncidentPatch,
  NewIncident,
  NoticeDecisionBody,
  NoticeQuery,
  NotifyBody,
  PostReportBody,
  RegulatorReportBody,
} from './schema.js';
import {
  closeIncident,
  containIncident,
  decideNotice,
  filePostReport,
  notifyPersons,
  previewNotice,
  recordRegulatorReport,
} from './actions.js';
import { createIncident, getIncident, listIncidents, updateIncident } from './service.js';

export function incidentRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['incidents'];
    const read = { access: { permission: 'incidents.read' as const } };
    const write = { access: { permission: 'incidents.write' as const } };

    api.get(
      '/incidents',
      { config: read, schema: { tags, querystring: IncidentList } },
      (request) => listIncidents(ctx, principal(request), request.query),
    );
    api.post(
      '/incidents',
      { config: write, schema: { tags, body: NewIncident } },
      async (request, reply) =>
        reply.code(201).send(await createIncident(ctx, principal(request), request.body)),
    );
    api.get(
      '/incidents/:id',
      { config: read, schema: { tags, params: IncidentParams } },
      (request) => getIncident(ctx, principal(request), request.params.id),
    );
    api.patch(
      '/incidents/:id',
      { config: write, schema: { tags, params: IncidentParams, body: IncidentPatch } },
      (request) => updateIncident(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/incidents/:id/contain',
      { config: write, schema: { tags, params: IncidentParams, body: ContainBody } },
      (request) => containIncident(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/incidents/:id/regulator-report',
      { config: write, schema: { tags, params: IncidentParams, body: RegulatorReportBody } },
      (request) => recordRegulatorReport(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/incidents/:id/notice-decision',
      { config: write, schema: { tags, params: IncidentParams, body: NoticeDecisionBody } },
      (request) => decideNotice(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/incidents/:id/notify',
      { config: write, schema: { tags, params: IncidentParams, body: NotifyBody } },
      (request) => notifyPersons(ctx, principal(request), request.params.id, request.body),
    );
    api.get(
      '/incidents/:id/notice',
      { config: read, schema: { tags, params: IncidentParams, querystring: NoticeQuery } },
      (request) => previewNotice(ctx, principal(request), request.params.id, request.query.lang),
    );
    api.post(
      '/incidents/:id/post-report',
      { config: write, schema: { tags, params: IncidentParams, body: PostReportBody } },
      (request) => filePostReport(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/incidents/:id/close',
      { config: write, schema: { tags, params: IncidentParams } },
      (request) => closeIncident(ctx, principal(request), request.params.id),
    );
  };
}
