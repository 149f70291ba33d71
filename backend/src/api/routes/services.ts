import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { listOperations, listServices } from '../../query/services.ts';
import { siteOf } from '../auth.ts';
import { timeRangeFrom } from '../query-params.ts';
import { bearerAuth, errorResponses, timeRangeQuery } from '../schemas.ts';

export interface ServiceRoutesOptions {
  db: Kysely<Database>;
}

/** Service and operation lists look at the last 24 hours unless told otherwise. */
export const DEFAULT_SERVICE_RANGE_MS = 24 * 60 * 60 * 1000;

interface RangeQuery {
  start?: string;
  end?: string;
}

const rangeQuerystring = { type: 'object', properties: timeRangeQuery, additionalProperties: false } as const;

export const serviceRoutes: FastifyPluginAsync<ServiceRoutesOptions> = async (app, { db }) => {
  app.get<{ Querystring: RangeQuery }>(
    '/services',
    {
      schema: {
        summary: 'Services with spans starting in [start, end) (default: the last 24 hours)',
        tags: ['services'],
        security: bearerAuth,
        querystring: rangeQuerystring,
        response: {
          200: {
            type: 'object',
            required: ['services'],
            properties: { services: { type: 'array', items: { $ref: 'Service#' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      services: await listServices(db, siteOf(request), timeRangeFrom(request.query, DEFAULT_SERVICE_RANGE_MS)),
    }),
  );

  app.get<{ Params: { service: string }; Querystring: RangeQuery }>(
    '/services/:service/operations',
    {
      schema: {
        summary: "A service's span names and kinds in [start, end) (default: the last 24 hours)",
        tags: ['services'],
        security: bearerAuth,
        params: {
          type: 'object',
          required: ['service'],
          properties: { service: { type: 'string', minLength: 1, description: 'service.name, URL-encoded' } },
        },
        querystring: rangeQuerystring,
        response: {
          200: {
            type: 'object',
            required: ['operations'],
            properties: { operations: { type: 'array', items: { $ref: 'Operation#' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      operations: await listOperations(
        db,
        siteOf(request),
        request.params.service,
        timeRangeFrom(request.query, DEFAULT_SERVICE_RANGE_MS),
      ),
    }),
  );
};
