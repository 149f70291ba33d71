import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { serviceMap } from '../../query/traces/service-map.ts';
import { siteOf } from '../auth.ts';
import type { ApiLimits } from '../limits.ts';
import { requireRangeAtMost, timeRangeFrom } from '../query-params.ts';
import { bearerAuth, errorResponses, timeRangeQuery } from '../schemas.ts';

export interface ServiceMapRoutesOptions {
  db: Kysely<Database>;
  limits: ApiLimits;
}

/** The service map looks at the last hour unless told otherwise. */
export const DEFAULT_SERVICE_MAP_RANGE_MS = 60 * 60 * 1000;

interface RangeQuery {
  start?: string;
  end?: string;
}

const nodeTypes = ['service', 'database', 'cache', 'queue', 'external'];
const milliseconds = { type: 'number', description: 'milliseconds' } as const;
const nullableMilliseconds = { type: ['number', 'null'], description: 'milliseconds; null without requests, and for virtual nodes' } as const;

const node = {
  type: 'object',
  required: ['id', 'name', 'type', 'requestCount', 'requestRate', 'errorCount', 'errorRate', 'p50', 'p95', 'p99'],
  properties: {
    id: { type: 'string', description: 'TYPE:NAME, what edges refer to' },
    name: { type: 'string' },
    type: { type: 'string', enum: nodeTypes },
    requestCount: { type: 'integer' },
    requestRate: { type: 'number', description: 'requests per second over the range' },
    errorCount: { type: 'integer' },
    errorRate: { type: 'number', description: '0 to 1' },
    p50: nullableMilliseconds,
    p95: nullableMilliseconds,
    p99: nullableMilliseconds,
  },
} as const;

const edge = {
  type: 'object',
  required: ['source', 'target', 'connectionType', 'callCount', 'errorCount', 'p50', 'p95', 'p99'],
  properties: {
    source: { type: 'string', description: 'node id of the caller' },
    target: { type: 'string', description: 'node id of the callee' },
    connectionType: { type: 'string', enum: ['http', 'rpc', 'messaging', 'database'] },
    callCount: { type: 'integer' },
    errorCount: { type: 'integer', description: "calls where the callee's or the caller's span has status ERROR" },
    p50: milliseconds,
    p95: milliseconds,
    p99: milliseconds,
  },
} as const;

export const serviceMapRoutes: FastifyPluginAsync<ServiceMapRoutesOptions> = async (app, { db, limits }) => {
  app.get<{ Querystring: RangeQuery }>(
    '/service-map',
    {
      schema: {
        summary: 'Services, the databases, caches, queues and hosts they call, and the calls between them in [start, end)',
        description:
          'Default: the last hour; at most ' +
          `${limits.maxServiceMapHours}h. An edge is a server or consumer span starting in the range whose parent (or, ` +
          'for a consumer, a linked span) is a client or producer span of another service, found however the spans ' +
          "arrived; its latency is the callee's. A client or producer span no service answered is a call to a virtual " +
          'node named by db.system.name/db.system, messaging.system, peer.service, server.address (net.peer.name, ' +
          "http.host) or the URL's host; its latency is the client span's. Whole minutes the edge rollup holds are read " +
          'from it (quantiles then within 2.2%), the rest joined live from spans.',
        tags: ['services'],
        security: bearerAuth,
        querystring: { type: 'object', properties: timeRangeQuery, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            required: ['nodes', 'edges'],
            properties: { nodes: { type: 'array', items: node }, edges: { type: 'array', items: edge } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const range = timeRangeFrom(request.query, DEFAULT_SERVICE_MAP_RANGE_MS);
      requireRangeAtMost(range, limits.maxServiceMapHours, 'the service map');
      return serviceMap(db, siteOf(request), range);
    },
  );
};
