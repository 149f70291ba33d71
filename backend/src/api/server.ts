import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import swagger from '@fastify/swagger';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { KeyResolver } from '@justanalytics/collector';
import type { Database } from '../db/database.ts';
import { requireApiKey } from './auth.ts';
import { formatValidationErrors, installErrorHandling } from './error-handler.ts';
import { healthRoutes } from './routes/health.ts';
import { openApiRoute } from './routes/openapi.ts';
import { serviceRoutes } from './routes/services.ts';
import { traceRoutes } from './routes/traces.ts';
import { addSharedSchemas } from './schemas.ts';

export interface ApiServerOptions {
  db: Kysely<Database>;
  /** Turns `Authorization: Bearer` keys into sites and scopes. */
  keys: KeyResolver;
  logger: Logger;
}

export const API_PREFIX = '/api/v1';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The query API, ready but not listening: the caller listens (port 8080 by
 * default). Every /api/v1 route but the OpenAPI document needs a key with the
 * `read` scope, and shows only that key's site.
 */
export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  // Requests are logged by the onResponse hook below, without client address, headers or body.
  const logger: FastifyBaseLogger = options.logger.child({ component: 'api' }, { serializers: { req: requestSummary } });
  const app = fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    schemaErrorFormatter: formatValidationErrors,
    // Unknown query parameters are an error (a typo must not silently widen a search).
    ajv: { customOptions: { removeAdditional: false } },
  });

  installErrorHandling(app);
  addSharedSchemas(app);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'JustAnalytics query API', version: '1' },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'an API key (ja_sk_…) with the read scope' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`),
    },
  });

  await app.register(healthRoutes, { db: options.db });
  await app.register(
    async (api) => {
      await api.register(openApiRoute);
      await api.register(async (secured) => {
        requireApiKey(secured, options.keys, 'read');
        await secured.register(traceRoutes, { db: options.db });
        await secured.register(serviceRoutes, { db: options.db });
      });
    },
    { prefix: API_PREFIX },
  );
  return app;
}

/** Keeps a caller's X-Request-Id when it is a plain token, so logs can be joined; else a fresh UUID. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

function requestSummary(request: { method?: string; url?: string }): { method?: string; url?: string } {
  return { method: request.method, url: request.url?.split('?', 1)[0] };
}
