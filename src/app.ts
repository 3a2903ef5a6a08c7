// Builds the HTTP application from the domain route modules. Cross-cutting behaviour is installed
// here once: validation, problem responses, access control, security headers, request ids, body
// limits and the OpenAPI document at /docs.
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { accessRoutes } from './access/routes.js';
import { auditRoutes } from './audit/routes.js';
import type { AppContext } from './context.js';
import { collectionPageRoutes } from './collection/pages.js';
import { collectionRoutes } from './collection/routes.js';
import { bannerRoutes } from './consent/banner/routes.js';
import { guardianPageRoutes } from './consent/minors/pages.js';
import { guardianRoutes } from './consent/minors/routes.js';
import { optoutRoutes } from './consent/optout/routes.js';
import { consentRoutes } from './consent/routes.js';
import { controllerRoutes } from './controllers/routes.js';
import { datamapRoutes } from './datamap/routes.js';
import { installAccessControl, type Access } from './http/access.js';
import { healthRoutes } from './http/health.js';
import {
  badUrl,
  errorHandler,
  notFoundHandler,
  notFoundProblem,
  sendProblem,
} from './http/problems.js';
import { applySecurityHeaders, requestId, securityHeaders } from './http/security.js';
import { validatorCompiler } from './http/validation.js';
import { AnsweredRequestLog } from './logger.js';
import { assessmentRoutes } from './registers/assessments/routes.js';
import { disclosureRoutes } from './registers/disclosures/routes.js';
import { incidentRoutes } from './registers/incidents/routes.js';
import { transferRoutes } from './registers/transfers/routes.js';
import { forwardRoutes } from './requests/forward/routes.js';
import { fulfilmentRoutes } from './requests/fulfil/routes.js';
import { policyRoutes } from './policy/routes.js';
import { requestPageRoutes } from './requests/pages.js';
import { requestRoutes } from './requests/routes.js';
import { retentionRoutes } from './retention/routes.js';
import { subjectRoutes } from './subjects/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access rule, as registered (the default-deny test walks it). */
    routeTable: Array<{ method: string; url: string; access: Access | undefined }>;
  }
}

/** Routes anyone may call without logging in, besides those declaring `access: { public: true }`. */
const PUBLIC_PREFIXES = ['/docs'];

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = ctx.log;
  const app = Fastify({
    loggerInstance: logger,
    logController: new AnsweredRequestLog(ctx.log),
    genReqId: (req) => requestId(req.headers['x-request-id']),
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: ctx.config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    // Malformed URLs are answered by the router before any hook; route them through the problem
    // writer too, so they neither echo the path nor miss the security headers.
    frameworkErrors: (error, request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      applySecurityHeaders(request, reply, ctx.config.baseUrl.startsWith('https:'));
      void sendProblem(request, reply, tooLong ? notFoundProblem() : badUrl());
    },
  });
  // JSON only: a text/plain body is a 415, not something validation half-understands.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onSend', securityHeaders(ctx.config.baseUrl.startsWith('https:')));
  // The OpenAPI UI comes from a plugin that cannot carry our access declaration; it is the one
  // explicit allow-list entry, so a forgotten declaration anywhere else still means "closed".
  const routeTable: FastifyInstance['routeTable'] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    if (
      route.config?.access === undefined &&
      PUBLIC_PREFIXES.some((p) => route.url === p || route.url.startsWith(`${p}/`))
    ) {
      route.config = { ...route.config, access: { public: true } };
    }
    for (const method of [route.method].flat()) {
      routeTable.push({ method, url: route.url, access: route.config?.access });
    }
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Custos API',
        version: '1',
        description:
          'Personal information protection platform. Errors are RFC 9457 problem documents.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'custos_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  installAccessControl(app, ctx);

  await app.register(healthRoutes(ctx));
  await app.register(requestPageRoutes(ctx));
  await app.register(collectionPageRoutes(ctx));
  await app.register(guardianPageRoutes(ctx));
  await app.register(bannerRoutes(ctx));
  await app.register(
    async (api) => {
      await api.register(accessRoutes(ctx));
      await api.register(controllerRoutes(ctx));
      await api.register(subjectRoutes(ctx));
      await api.register(auditRoutes(ctx));
      await api.register(datamapRoutes(ctx));
      await api.register(retentionRoutes(ctx));
      await api.register(disclosureRoutes(ctx));
      await api.register(transferRoutes(ctx));
      await api.register(incidentRoutes(ctx));
      await api.register(assessmentRoutes(ctx));
      await api.register(requestRoutes(ctx));
      await api.register(fulfilmentRoutes(ctx));
      await api.register(forwardRoutes(ctx));
      await api.register(policyRoutes(ctx));
      await api.register(consentRoutes(ctx));
      await api.register(collectionRoutes(ctx));
      await api.register(guardianRoutes(ctx));
      await api.register(optoutRoutes(ctx));
    },
    { prefix: '/api/v1' },
  );
  return app;
}
