// The one place errors become HTTP responses: RFC 9457 `application/problem+json` with a stable
// `type`, a human `detail` and, for validation, the failing fields. An error we did not anticipate
// becomes a generic 500 that leaks nothing (no message, no stack); bad input never gets there.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AuditWriteError } from '../audit/log.js';
import { AppError, type ErrorCode, type FieldProblem } from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const problemType = (code: ErrorCode): string => `urn:custos:problem:${code}`;

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns Ajv issues into JSON pointers and messages that name the field but never echo its value. */
function fieldProblems(context: string, issues: readonly AjvIssue[]): FieldProblem[] {
  return issues.map((issue) => {
    let pointer = `/${context}${issue.instancePath}`;
    let detail = issue.message ?? 'is invalid';
    if (
      issue.keyword === 'additionalProperties' &&
      typeof issue.params.additionalProperty === 'string'
    ) {
      pointer += `/${issue.params.additionalProperty}`;
      detail = 'is not a known field';
    } else if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') {
      pointer += `/${issue.params.missingProperty}`;
      detail = 'is required';
    } else if (issue.keyword === 'pattern') {
      detail = 'has an invalid format';
    }
    return { pointer, detail };
  });
}

// Fastify's own client errors, by code, with details we write ourselves: their messages may quote
// the request (a JSON syntax error quotes the body, which may hold personal data).
const FASTIFY_ERRORS: Record<string, [ErrorCode, number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'unsupported-media-type',
    415,
    'Unsupported media type',
    'Send the body as application/json.',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    'validation',
    400,
    'Invalid request',
    'The Content-Length header does not match the body.',
  ],
  FST_ERR_CTP_BODY_TOO_LARGE: [
    'payload-too-large',
    413,
    'Payload too large',
    'The request body is larger than this server accepts.',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    'malformed-json',
    400,
    'Malformed JSON',
    'The request body is empty but declared as JSON.',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: [
    'malformed-json',
    400,
    'Malformed JSON',
    'The request body is not valid JSON.',
  ],
};

function toAppError(
  error: FastifyError & { validation?: AjvIssue[]; validationContext?: string },
): AppError | null {
  if (error instanceof AppError) return error;
  if (error instanceof AuditWriteError) {
    return new AppError(
      'unavailable',
      503,
      'Service unavailable',
      'The change was not made because its audit record could not be written; try again later.',
    );
  }
  if (Array.isArray(error.validation)) {
    const errors = fieldProblems(error.validationContext ?? 'body', error.validation);
    const first = errors[0];
    return new AppError(
      'validation',
      400,
      'Invalid request',
      first ? `${first.pointer} ${first.detail}` : 'The request is invalid.',
      { errors },
    );
  }
  const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  if (known) return new AppError(...known);
  // JSON.parse / secure-json-parse failures (syntax, __proto__ poisoning) arrive as 400s without a code.
  if (
    error instanceof SyntaxError ||
    (error.statusCode === 400 && /JSON|prototype|constructor/i.test(error.message))
  ) {
    return new AppError(
      'malformed-json',
      400,
      'Malformed JSON',
      'The request body is not valid JSON.',
    );
  }
  if (error.statusCode === 405)
    return new AppError(
      'method-not-allowed',
      405,
      'Method not allowed',
      'This method is not allowed here.',
    );
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError(
      'validation',
      error.statusCode,
      'Invalid request',
      'The request could not be processed.',
    );
  }
  return null;
}

/** Sends an AppError as a problem document. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  error: AppError,
): FastifyReply {
  if (error.extra.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.ceil(error.extra.retryAfterSeconds)));
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="custos"');
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      type: problemType(error.code),
      title: error.title,
      status: error.status,
      detail: error.detail,
      instance: `urn:custos:request:${request.id}`,
      ...(error.extra.errors && error.extra.errors.length > 0
        ? { errors: error.extra.errors }
        : {}),
    });
}

/** Fastify error handler: every error leaves as a problem document. */
export function errorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const app = toAppError(error);
  if (app !== null) {
    if (app.status >= 500) request.log.error({ code: app.code }, 'request failed');
    return sendProblem(request, reply, app);
  }
  // Log the class and stack of the unexpected error, never the request or the message body.
  request.log.error(
    { err: { type: error.name, code: error.code, stack: error.stack } },
    'unexpected error',
  );
  return sendProblem(
    request,
    reply,
    new AppError(
      'internal',
      500,
      'Internal error',
      'Something went wrong on our side; the request id identifies it in our logs.',
    ),
  );
}

export const notFoundProblem = (): AppError =>
  new AppError('not-found', 404, 'Not found', 'There is nothing at this address.');
export const badUrl = (): AppError =>
  new AppError('validation', 400, 'Invalid request', 'The request URL is malformed.');

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(
    request,
    reply,
    new AppError('not-found', 404, 'Not found', 'There is nothing at this address.'),
  );
}
