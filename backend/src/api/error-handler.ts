import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { classifyDatabaseError } from '../store/database-errors.ts';
import { ERROR_CODES, codeForStatus, errorBody, type ErrorCode } from './errors.ts';
import { WITHOUT_NUL } from './schemas.ts';

const ownCodes: ReadonlySet<string> = new Set<ErrorCode>(ERROR_CODES);

/** Retry-After of every 503: a query that timed out or found no free connection may well succeed a little later. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * Turns every failure into `{ "error": { "code", "message" } }`: validation
 * errors (400), errors of errors.ts with their own code and status, Fastify's
 * own client errors by status, unknown routes (404), the database out of reach,
 * busy or too slow (a statement timeout, no free connection in time) and
 * Fastify's handler timeout (503 UNAVAILABLE, always with Retry-After), and
 * anything else (500, logged, with a message that reveals nothing).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(sendError);

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    return reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${path}`));
  });
}

/**
 * The error handler, exported for Fastify's `frameworkErrors` too: errors the
 * router meets before any route (a path that is not valid percent-encoded
 * UTF-8) reach no error handler of the app.
 */
export function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.validation) {
    return reply.code(400).send(errorBody('INVALID_ARGUMENT', error.message));
  }
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (ownCodes.has(error.code)) {
    if (status >= 500) request.log.warn({ err: error }, 'request failed');
    if (status === 503) void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    return reply.code(status).send(errorBody(error.code, error.message));
  }
  if (status === 503 || (status === 500 && classifyDatabaseError(error) === 'unavailable')) {
    request.log.warn({ err: error }, 'request failed: the database is unavailable, busy or too slow');
    void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    return reply.code(503).send(errorBody('UNAVAILABLE', 'the query could not be answered in time; retry later'));
  }
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody('INTERNAL', 'internal error'));
  }
  return reply.code(status).send(errorBody(codeForStatus(status), error.message));
}

/** One readable line per schema violation, naming the parameter. */
export function formatValidationErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const lines = errors.flatMap((error) => {
    // propertyNames reports the name's own error, then "property name must be valid": keep the first.
    if (error.keyword === 'propertyNames') return [];
    const propertyName = (error as { propertyName?: unknown }).propertyName;
    const where =
      typeof propertyName === 'string'
        ? `${dataVar} parameter name ${JSON.stringify(shorten(propertyName))}`
        : `${dataVar}${error.instancePath.replaceAll('/', '.')}`;
    const extra = error.params['additionalProperty'];
    if (typeof extra === 'string') return `${where} has an unknown parameter ${JSON.stringify(shorten(extra))}`;
    const allowed = error.params['allowedValues'];
    if (Array.isArray(allowed)) return `${where} must be one of ${allowed.join(', ')}`;
    if (error.keyword === 'pattern' && error.params['pattern'] === WITHOUT_NUL) return `${where} must not contain NUL (\\u0000)`;
    return `${where} ${error.message ?? 'is invalid'}`;
  });
  return new Error(lines.length > 0 ? lines.join('; ') : `${dataVar} is invalid`);
}

/** A client's text quoted in a message, cut so the message stays short. */
function shorten(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
