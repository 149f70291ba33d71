import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { InvalidCursorError } from '../../query/trace-cursor.ts';
import { DEFAULT_TRACE_LIMIT, MAX_TRACE_LIMIT, searchTraces, type TraceSearch, type TraceStatusFilter } from '../../query/trace-search.ts';
import { getTrace } from '../../query/traces.ts';
import { siteOf } from '../auth.ts';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import { attributeFilters, requireDuration, timeRangeFrom } from '../query-params.ts';
import { bearerAuth, errorResponses, timeRangeQuery } from '../schemas.ts';

export interface TraceRoutesOptions {
  db: Kysely<Database>;
}

/** Trace search looks at the last hour unless told otherwise. */
export const DEFAULT_TRACE_SEARCH_MS = 60 * 60 * 1000;

interface SearchQuery {
  service?: string;
  operation?: string;
  status?: TraceStatusFilter;
  minDuration?: string;
  maxDuration?: string;
  start?: string;
  end?: string;
  limit: number;
  cursor?: string;
  [attribute: `attr.${string}`]: string;
}

const duration = {
  type: 'string',
  maxLength: 64,
  description: 'Go duration ("250ms", "1.5s", "2m", "1h30m") or integer nanoseconds',
} as const;

export const traceRoutes: FastifyPluginAsync<TraceRoutesOptions> = async (app, { db }) => {
  app.get<{ Params: { traceId: string } }>(
    '/traces/:traceId',
    {
      schema: {
        summary: 'One whole trace as OTLP/JSON TracesData',
        tags: ['traces'],
        security: bearerAuth,
        params: {
          type: 'object',
          required: ['traceId'],
          properties: { traceId: { type: 'string', pattern: '^[0-9a-fA-F]{32}$', description: '32 hex digits' } },
        },
        response: { 200: { $ref: 'TracesData#' }, ...errorResponses },
      },
    },
    async (request) => {
      const trace = await getTrace(db, siteOf(request), request.params.traceId.toLowerCase());
      if (trace === null) throw new NotFoundError(`trace ${request.params.traceId.toLowerCase()} not found`);
      return trace;
    },
  );

  app.get<{ Querystring: SearchQuery }>(
    '/traces',
    {
      schema: {
        summary: 'Search traces, newest first',
        description:
          'Traces that started in [start, end) (default: the last hour). service, operation and attr.KEY=VALUE must all ' +
          'match one span of the trace (attr.* also matches resource attributes; VALUE matches a string, or an int, ' +
          'double or bool printed the same). status is the trace status: error if any span failed, else ok if any ' +
          'span is OK, else unset. Page with nextCursor.',
        tags: ['traces'],
        security: bearerAuth,
        querystring: {
          type: 'object',
          properties: {
            service: { type: 'string', minLength: 1 },
            operation: { type: 'string', minLength: 1 },
            status: { type: 'string', enum: ['error', 'ok', 'unset'] },
            minDuration: duration,
            maxDuration: duration,
            ...timeRangeQuery,
            limit: { type: 'integer', minimum: 1, maximum: MAX_TRACE_LIMIT, default: DEFAULT_TRACE_LIMIT },
            cursor: { type: 'string', maxLength: 256 },
          },
          patternProperties: { '^attr\\..+$': { type: 'string', description: 'attribute filter attr.KEY=VALUE' } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['traces', 'nextCursor'],
            properties: {
              traces: { type: 'array', items: { $ref: 'TraceSummary#' } },
              nextCursor: { type: ['string', 'null'], description: 'pass as cursor for the next page; null on the last' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const query = request.query;
      const search: TraceSearch = { ...timeRangeFrom(query, DEFAULT_TRACE_SEARCH_MS), limit: query.limit };
      if (query.service !== undefined) search.service = query.service;
      if (query.operation !== undefined) search.operation = query.operation;
      if (query.status !== undefined) search.status = query.status;
      if (query.minDuration !== undefined) search.minDurationNs = requireDuration('minDuration', query.minDuration);
      if (query.maxDuration !== undefined) search.maxDurationNs = requireDuration('maxDuration', query.maxDuration);
      if (query.cursor !== undefined) search.cursor = query.cursor;
      const attributes = attributeFilters(query);
      if (Object.keys(attributes).length > 0) search.attributes = attributes;
      try {
        return await searchTraces(db, siteOf(request), search);
      } catch (error) {
        if (error instanceof InvalidCursorError) throw new InvalidArgumentError(error.message);
        throw error;
      }
    },
  );
};
