import createError from '@fastify/error';

// Every error the query API answers with, defined once. The body is always
// `{ "error": { "code", "message" } }` with one of these codes.

export const InvalidArgumentError = createError('INVALID_ARGUMENT', '%s', 400);
export const UnauthenticatedError = createError('UNAUTHENTICATED', '%s', 401);
export const PermissionDeniedError = createError('PERMISSION_DENIED', '%s', 403);
export const NotFoundError = createError('NOT_FOUND', '%s', 404);
export const ResourceExhaustedError = createError('RESOURCE_EXHAUSTED', '%s', 429);
export const UnavailableError = createError('UNAVAILABLE', '%s', 503);

/** Codes for statuses Fastify itself raises (bad media type, body too large, …). */
const codeByStatus: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};

export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'NOT_ACCEPTABLE',
  'REQUEST_TIMEOUT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The code for a client error status; anything unknown is INVALID_ARGUMENT. */
export function codeForStatus(status: number): ErrorCode {
  return codeByStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
}
