import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import swagger from '@fastify/swagger';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchema } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { analyticsHttpPlugin } from '@justanalytics/collector';
import type { AnalyticsHttpOptions } from '@justanalytics/collector';
import type { KeyResolver } from '@justanalytics/collector/model';
import type { Database } from '../db/database.ts';
import { requireApiKey } from './auth.ts';
import { formatValidationErrors, installErrorHandling, sendError } from './error-handler.ts';
import { apiLimits, MAX_TEXT_LENGTH, type ApiLimits } from './limits.ts';
import { analyticsFunnelAdminRoutes, analyticsFunnelReadRoutes } from './routes/analytics-funnels.ts';
import { analyticsGoalAdminRoutes, analyticsGoalReadRoutes } from './routes/analytics-goals.ts';
import { analyticsJourneyRoutes } from './routes/analytics-journeys.ts';
import { analyticsRealtimeRoutes } from './routes/analytics-realtime.ts';
import { analyticsSiteAdminRoutes, analyticsSiteReadRoutes } from './routes/analytics-sites.ts';
import { analyticsQueryRoutes } from './routes/analytics-query.ts';
import { healthRoutes } from './routes/health.ts';
import { logRoutes } from './routes/logs.ts';
import { metricRoutes } from './routes/metrics.ts';
import { openApiRoute } from './routes/openapi.ts';
import { serviceMapRoutes } from './routes/service-map.ts';
import { serviceRoutes } from './routes/services.ts';
import { traceRoutes } from './routes/traces.ts';
import { addSharedSchemas } from './schemas.ts';

export interface ApiServerOptions {
  /** What the routes query: the API's own pool (the handle's `api.db`), never the one ingest uses. */
  db: Kysely<Database>;
  /**
   * What the few configuration writes use (site settings, goals, saved
   * funnels; all behind the `admin` scope): a pool that may write, since the
   * API's own pool is read-only. Default `db`; `serve` gives the ingest pool.
   */
  writeDb?: Kysely<Database>;
  /** What /readyz checks. Default `db`; `serve` gives the ingest pool, so that busy queries do not make the process unready. */
  readinessDb?: Kysely<Database>;
  /** Bounds of what a request may ask for; see limits.ts for the defaults. */
  limits?: Partial<ApiLimits>;
  /** Time limits of the listener; see API_TIMEOUT_DEFAULTS. */
  timeouts?: Partial<ApiTimeouts>;
  /** Turns `Authorization: Bearer` keys into sites and scopes. */
  keys: KeyResolver;
  logger: Logger;
  /**
   * Proxies (addresses or CIDRs) whose X-Forwarded-For names the client, whose
   * failed authentications are then limited by that address. Default: none.
   */
  trustedProxies?: readonly string[];
  /**
   * The analytics routes (/api/track, /api/ingest/*) as the OTLP/HTTP port
   * serves them, when this process also ingests (plain `serve`): a script
   * served from this port may then post to its own origin. Default: none.
   */
  analytics?: AnalyticsHttpOptions | null;
}

export const API_PREFIX = '/api/v1';

/** Time limits of the API's HTTP listener, in milliseconds. */
export interface ApiTimeouts {
  /** From a request's arrival to its answer; past it, 503 UNAVAILABLE (Fastify's handlerTimeout). */
  handlerMs: number;
  /** For a client to send a request's headers (Node's headersTimeout): slow senders hold no socket for long. */
  headersMs: number;
  /** For a client to send the whole request (requestTimeout); at least headersMs. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this (keepAliveTimeout). */
  keepAliveMs: number;
  /**
   * A socket with no traffic either way is closed after this (connectionTimeout).
   * Nothing is sent while a request is served, so it must exceed handlerMs.
   */
  connectionMs: number;
}

export const API_TIMEOUT_DEFAULTS: ApiTimeouts = {
  // Above the few statements of one request (each bounded by the API statement timeout, 10 s by default).
  handlerMs: 30_000,
  headersMs: 10_000,
  requestMs: 30_000,
  // Above the 60 s idle timeout of common load balancers, so they close first and never reuse a closing connection.
  keepAliveMs: 72_000,
  connectionMs: 60_000,
};

/** A route of the API server, as its onRoute hook saw it. */
export interface ApiRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
}

const routeTables = new WeakMap<FastifyInstance, ApiRoute[]>();

/** Every route of a server made by buildApiServer (HEAD routes included), e.g. for tests that must cover them all. */
export function apiRoutes(app: FastifyInstance): readonly ApiRoute[] {
  return routeTables.get(app) ?? [];
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The query API, ready but not listening: the caller listens (port 8080 by
 * default). Every /api/v1 route but the OpenAPI document needs a key with the
 * `read` scope, except the configuration writes (site settings, goals, saved
 * funnels), which need `admin` (neither scope implies the other); each shows
 * and changes only that key's site.
 */
export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const limits = apiLimits(options.limits);
  const timeouts = apiTimeouts(options.timeouts);
  // Requests are logged by the onResponse hook below, without client address, headers or body.
  const logger: FastifyBaseLogger = options.logger.child({ component: 'api' }, { serializers: { req: requestSummary } });
  const app = fastify({
    handlerTimeout: timeouts.handlerMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.connectionMs,
    // Node checks headersTimeout and requestTimeout every connectionsCheckingInterval (30 s by default).
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs) },
    // Long enough for a percent-encoded service name of MAX_TEXT_LENGTH; the route's schema gives the 400.
    routerOptions: { maxParamLength: 3 * MAX_TEXT_LENGTH + 64 },
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    trustProxy: options.trustedProxies === undefined || options.trustedProxies.length === 0 ? false : [...options.trustedProxies],
    schemaErrorFormatter: formatValidationErrors,
    // Errors the router meets before any route (a path that is not valid percent-encoded UTF-8, a parameter over
    // maxParamLength) would get Fastify's own body.
    frameworkErrors: sendError,
    // Unknown query parameters are an error (a typo must not silently widen a search).
    ajv: { customOptions: { removeAdditional: false } },
  });

  const routes: ApiRoute[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, schema: route.schema });
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

  await app.register(healthRoutes, { db: options.readinessDb ?? options.db });
  // Encapsulated by the plugin: its body handling and error format stay its own.
  if (options.analytics) await app.register(analyticsHttpPlugin, { ...options.analytics, trustedProxies: options.trustedProxies });
  await app.register(
    async (api) => {
      await api.register(openApiRoute);
      await api.register(async (secured) => {
        requireApiKey(secured, options.keys, 'read');
        await secured.register(traceRoutes, { db: options.db, limits });
        await secured.register(serviceRoutes, { db: options.db, limits });
        await secured.register(serviceMapRoutes, { db: options.db, limits });
        await secured.register(logRoutes, { db: options.db, limits });
        await secured.register(metricRoutes, { db: options.db, limits });
        await secured.register(analyticsQueryRoutes, { db: options.db, limits });
        await secured.register(analyticsRealtimeRoutes, { db: options.db });
        await secured.register(analyticsGoalReadRoutes, { db: options.db });
        await secured.register(analyticsFunnelReadRoutes, { db: options.db });
        await secured.register(analyticsJourneyRoutes, { db: options.db });
        await secured.register(analyticsSiteReadRoutes, { db: options.db });
      });
      // Configuration changes: the admin scope, which does not imply read (nor read admin).
      await api.register(async (administered) => {
        requireApiKey(administered, options.keys, 'admin');
        const db = options.writeDb ?? options.db;
        await administered.register(analyticsGoalAdminRoutes, { db });
        await administered.register(analyticsFunnelAdminRoutes, { db });
        await administered.register(analyticsSiteAdminRoutes, { db });
      });
    },
    { prefix: API_PREFIX },
  );
  return app;
}

function apiTimeouts(given: Partial<ApiTimeouts> = {}): ApiTimeouts {
  const timeouts = { ...API_TIMEOUT_DEFAULTS };
  for (const name of Object.keys(API_TIMEOUT_DEFAULTS) as Array<keyof ApiTimeouts>) {
    const value = given[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`the API timeout ${name} must be a positive integer of milliseconds, got ${value}`);
    timeouts[name] = value;
  }
  if (timeouts.headersMs > timeouts.requestMs) throw new RangeError('the API timeout headersMs must not exceed requestMs');
  if (timeouts.connectionMs <= timeouts.handlerMs) throw new RangeError('the API timeout connectionMs must exceed handlerMs');
  return timeouts;
}

/** Keeps a caller's X-Request-Id when it is a plain token, so logs can be joined; else a fresh UUID. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

function requestSummary(request: { method?: string; url?: string }): { method?: string; url?: string } {
  return { method: request.method, url: request.url?.split('?', 1)[0] };
}
