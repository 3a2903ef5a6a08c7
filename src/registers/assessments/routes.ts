// Impact assessments: HTTP routes (thin: validate, authorize, call the service).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { principal } from '../../http/access.js';
import {
  AssessmentList,
  AssessmentParams,
  AssessmentPatch,
  CompleteAssessment,
  NewAssessment,
} from './schema.js';
import {
  completeAssessment,
  createAssessment,
  deleteAssessment,
  getAssessment,
  listAssessments,
  listPolicyFlags,
  updateAssessment,
} from './service.js';

export function assessmentRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['assessments'];
    const read = { access: { permission: 'assessments.read' as const } };
    const write = { access: { permission: 'assessments.write' as const } };

    api.get(
      '/assessments',
      { config: read, schema: { tags, querystring: AssessmentList } },
      (request) => listAssessments(ctx, request.query),
    );
    api.get('/assessments/policy-flags', { config: read, schema: { tags } }, () =>
      listPolicyFlags(ctx),
    );
    api.get(
      '/assessments/:id',
      { config: read, schema: { tags, params: AssessmentParams } },
      (request) => getAssessment(ctx, request.params.id),
    );
    api.post(
      '/assessments',
      { config: write, schema: { tags, body: NewAssessment } },
      async (request, reply) =>
        reply.code(201).send(await createAssessment(ctx, principal(request), request.body)),
    );
    api.patch(
      '/assessments/:id',
      { config: write, schema: { tags, params: AssessmentParams, body: AssessmentPatch } },
      (request) => updateAssessment(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/assessments/:id/complete',
      { config: write, schema: { tags, params: AssessmentParams, body: CompleteAssessment } },
      (request) => completeAssessment(ctx, principal(request), request.params.id, request.body),
    );
    api.delete(
      '/assessments/:id',
      { config: write, schema: { tags, params: AssessmentParams } },
      async (request, reply) => {
        await deleteAssessment(ctx, principal(request), request.params.id);
        return reply.code(204).send();
      },
    );
  };
}
