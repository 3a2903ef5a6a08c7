import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { principal } from '../http/access.js';
import {
  EraseBody,
  NewRecords,
  NewSubject,
  Reason,
  SubjectList,
  SubjectParams,
  SubjectSearch,
} from './schema.js';
import {
  addRecords,
  createSubject,
  eraseSubject,
  getSubject,
  listSubjects,
  revealSubject,
  searchSubjects,
} from './service.js';

export function subjectRoutes(ctx: AppContext) {
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['subjects'];
    api.get(
      '/subjects',
      {
        config: { access: { permission: 'subjects.read' } },
        schema: { tags, querystring: SubjectList },
      },
      (request) => listSubjects(ctx, principal(request), request.query),
    );
    api.post(
      '/subjects',
      { config: { access: { permission: 'subjects.write' } }, schema: { tags, body: NewSubject } },
      async (request, reply) =>
        reply.code(201).send(await createSubject(ctx, principal(request), request.body)),
    );
    api.post(
      '/subjects/search',
      {
        config: { access: { permission: 'subjects.read' } },
        schema: { tags, body: SubjectSearch },
      },
      (request) => searchSubjects(ctx, principal(request), request.body),
    );
    api.get(
      '/subjects/:id',
      {
        config: { access: { permission: 'subjects.read' } },
        schema: { tags, params: SubjectParams },
      },
      (request) => getSubject(ctx, principal(request), request.params.id),
    );
    api.post(
      '/subjects/:id/records',
      {
        config: { access: { permission: 'subjects.write' } },
        schema: { tags, params: SubjectParams, body: NewRecords },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(await addRecords(ctx, principal(request), request.params.id, request.body.records)),
    );
    api.post(
      '/subjects/:id/reveal',
      {
        config: { access: { permission: 'pi.reveal' } },
        schema: { tags, params: SubjectParams, body: Reason },
      },
      (request) => revealSubject(ctx, principal(request), request.params.id, request.body),
    );
    api.post(
      '/subjects/:id/erase',
      {
        config: { access: { permission: 'subjects.erase' } },
        schema: { tags, params: SubjectParams, body: EraseBody },
      },
      (request) => eraseSubject(ctx, principal(request), request.params.id, request.body.reason),
    );
  };
}
