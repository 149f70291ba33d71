import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { listOperations, listServices } from '../../query/traces/services.ts';
import type { TimeRange } from '../../query/time-range.ts';
import { siteOf } from '../auth.ts';
import { MAX_TEXT_LENGTH, type ApiLimits } from '../limits.ts';
import { requireRangeAtMost, timeRangeFrom } from '../query-params.ts';
import { bearerAuth, errorResponses, textParameter, timeRangeQuery } from '../schemas.ts';

export interface ServiceRoutesOptions {
  db: Kysely<Database>;
  limits: ApiLimits;
}

/** Service and operation lists look at the last 24 hours unless told otherwise. */
export const DEFAULT_SERVICE_RANGE_MS = 24 * 60 * 60 * 1000;

interface RangeQuery {
  start?: string;
  end?: string;
}

const rangeQuerystring = { type: 'object', properties: timeRangeQuery, additionalProperties: false } as const;

export const serviceRoutes: FastifyPluginAsync<ServiceRoutesOptions> = async (app, { db, limits }) => {
  // Both lists count stored spans, so their range is bounded.
  const spanRange = (query: RangeQuery): TimeRange => {
    const range = timeRangeFrom(query, DEFAULT_SERVICE_RANGE_MS);
    requireRangeAtMost(range, limits.maxSpanSearchHours, 'a service or operation list');
    return range;
  };

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
      services: await listServices(db, siteOf(request), spanRange(request.query)),
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
          properties: { service: textParameter({ minLength: 1, maxLength: MAX_TEXT_LENGTH, description: 'service.name, URL-encoded' }) },
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
      operations: await listOperations(db, siteOf(request), request.params.service, spanRange(request.query)),
    }),
  );
};
