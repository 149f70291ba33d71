import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { ERROR_CODES, codeForStatus, errorBody, type ErrorCode } from './errors.ts';

const ownCodes: ReadonlySet<string> = new Set<ErrorCode>(ERROR_CODES);

/**
 * Turns every failure into `{ "error": { "code", "message" } }`: validation
 * errors (400), errors of errors.ts with their own code and status, Fastify's
 * own client errors by status, unknown routes (404) and anything else (500,
 * logged, with a message that reveals nothing).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send(errorBody('INVALID_ARGUMENT', error.message));
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (ownCodes.has(error.code)) {
      if (status >= 500) request.log.warn({ err: error }, 'request failed');
      return reply.code(status).send(errorBody(error.code, error.message));
    }
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(errorBody('INTERNAL', 'internal error'));
    }
    return reply.code(status).send(errorBody(codeForStatus(status), error.message));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    return reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${path}`));
  });
}

/** One readable line per schema violation, naming the parameter. */
export function formatValidationErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const lines = errors.map((error) => {
    const where = `${dataVar}${error.instancePath.replaceAll('/', '.')}`;
    const extra = error.params['additionalProperty'];
    if (typeof extra === 'string') return `${where} has an unknown parameter "${extra}"`;
    const allowed = error.params['allowedValues'];
    if (Array.isArray(allowed)) return `${where} must be one of ${allowed.join(', ')}`;
    return `${where} ${error.message ?? 'is invalid'}`;
  });
  return new Error(lines.join('; '));
}
