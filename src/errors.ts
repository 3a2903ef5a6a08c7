// A closed set of errors. Services throw AppError through the named constructors below; the HTTP
// edge maps them once to RFC 9457 problem documents (src/http/problems.ts). Messages are written
// for the person calling the API and never contain personal information or secrets.

/** Stable machine-readable codes; each becomes the problem `type` `urn:custos:problem:<code>`. */
export type ErrorCode =
  | 'validation'
  | 'malformed-json'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'unauthenticated'
  | 'session-expired'
  | 'mfa-required'
  | 'csrf'
  | 'forbidden'
  | 'transfer-required'
  | 'bundled-consent'
  | 'consent-required'
  | 'not-found'
  | 'gone'
  | 'conflict'
  | 'too-many-requests'
  | 'locked'
  | 'method-not-allowed'
  | 'unavailable'
  | 'internal';

/** One field that failed validation: a JSON pointer into the request and what is wrong. */
export interface FieldProblem {
  pointer: string;
  detail: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: { errors?: FieldProblem[]; retryAfterSeconds?: number } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const validation = (detail: string, errors: FieldProblem[] = []): AppError =>
  new AppError('validation', 400, 'Invalid request', detail, { errors });

/**
 * A single invalid field, the common case in services. `pointer` is a JSON pointer into the
 * request `part`, written out as `/body/...` like the schema validator's pointers.
 */
export const invalidField = (
  pointer: string,
  detail: string,
  part: 'body' | 'querystring' = 'body',
): AppError => {
  const full = `/${part}${pointer === '/' ? '' : pointer}`;
  return validation(`${full} ${detail}`, [{ pointer: full, detail }]);
};

export const unauthenticated = (detail = 'Log in or present an API token.'): AppError =>
  new AppError('unauthenticated', 401, 'Not authenticated', detail);

export const sessionExpired = (): AppError =>
  new AppError('session-expired', 401, 'Session expired', 'The session has ended; log in again.');

export const mfaRequired = (
  detail = 'A current one-time code from the authenticator app is required.',
): AppError => new AppError('mfa-required', 401, 'Second factor required', detail);

export const csrf = (): AppError =>
  new AppError(
    'csrf',
    403,
    'CSRF check failed',
    'Cookie-authenticated writes need the X-CSRF-Token header from GET /api/v1/me.',
  );

export const forbidden = (permission: string): AppError =>
  new AppError('forbidden', 403, 'Forbidden', `This needs the "${permission}" permission.`);

/**
 * An export or delivery of PI out of its storage region that no approved, unexpired cross-border
 * transfer covers (PIPL arts. 38–40). `detail` names what is missing: recipient, destination,
 * categories.
 */
export const transferRequired = (detail: string): AppError =>
  new AppError('transfer-required', 403, 'Cross-border transfer not covered', detail);

/**
 * A consent rule broken (PIPL arts. 14, 23, 25, 26, 29, 39): a grant of a purpose needing separate
 * consent bundled with other decisions (400 `bundled-consent`), or processing that needs a grant the
 * person has not given (409 `consent-required`). `detail` names the purpose key, never a value.
 */
export const consentRule = (
  rule: 'bundled-consent' | 'consent-required',
  detail: string,
  errors: FieldProblem[] = [],
): AppError =>
  rule === 'bundled-consent'
    ? new AppError(rule, 400, 'Separate consent cannot be bundled', detail, { errors })
    : new AppError(rule, 409, 'Consent required', detail);

/** Also used for objects outside the caller's controller scope, so their existence is not revealed. */
export const notFound = (what: string): AppError =>
  new AppError('not-found', 404, 'Not found', `No such ${what}.`);

/** 410: a genuine link or token that no longer does anything (used up or expired). */
export const gone = (title: string, detail: string): AppError =>
  new AppError('gone', 410, title, detail);

export const conflict = (detail: string): AppError =>
  new AppError('conflict', 409, 'Conflict', detail);

export const tooManyRequests = (
  retryAfterSeconds: number,
  detail = 'Too many attempts; wait and try again.',
): AppError =>
  new AppError('too-many-requests', 429, 'Too many requests', detail, { retryAfterSeconds });

export const locked = (): AppError =>
  new AppError(
    'locked',
    423,
    'Account locked',
    'This account is locked after too many failed logins; an administrator can unlock it.',
  );

export const unavailable = (detail: string): AppError =>
  new AppError('unavailable', 503, 'Service unavailable', detail);

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
