import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { InvalidCursorError } from '../../query/traces/trace-cursor.ts';
import { DEFAULT_TRACE_LIMIT, MAX_TRACE_LIMIT, searchTraces, type TraceSearch, type TraceStatusFilter } from '../../query/traces/trace-search.ts';
import { getTrace } from '../../query/traces/traces.ts';
import { siteOf } from '../auth.ts';
import { cappedResult } from '../capped-result.ts';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import { MAX_TEXT_LENGTH, type ApiLimits } from '../limits.ts';
import { attributeFilterSchema, attributeFilters, requireDuration, requireRangeAtMost, timeRangeFrom } from '../query-params.ts';
import { bearerAuth, errorResponses, textParameter, timeRangeQuery } from '../schemas.ts';

export interface TraceRoutesOptions {
  db: Kysely<Database>;
  limits: ApiLimits;
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

const duration = textParameter({ maxLength: 64, description: 'Go duration ("250ms", "1.5s", "2m", "1h30m") or integer nanoseconds' });

/** A trace fetch capped at its limit says so in headers. */
export const traceSpansCap = cappedResult('trace', 'spans');

export const traceRoutes: FastifyPluginAsync<TraceRoutesOptions> = async (app, { db, limits }) => {
  app.get<{ Params: { traceId: string }; Querystring: { limit: number } }>(
    '/traces/:traceId',
    {
      schema: {
        summary: 'One trace as OTLP/JSON TracesData',
        description:
          `The trace's spans, each once, the earliest ${limits.maxTraceSpans} at most (limit). ${traceSpansCap.described}`,
        tags: ['traces'],
        security: bearerAuth,
        params: {
          type: 'object',
          required: ['traceId'],
          properties: { traceId: textParameter({ maxLength: 32, pattern: '^[0-9a-fA-F]{32}$', description: '32 hex digits' }) },
        },
        querystring: {
          type: 'object',
          properties: {
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: limits.maxTraceSpans,
              default: limits.maxTraceSpans,
              description: 'most spans returned, the earliest by start time',
            },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            $ref: 'TracesData#',
            description: 'the trace, or its earliest spans',
            headers: traceSpansCap.schema,
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const traceId = request.params.traceId.toLowerCase();
      const view = await getTrace(db, siteOf(request), traceId, { limit: request.query.limit });
      if (view === null) throw new NotFoundError(`trace ${traceId} not found`);
      traceSpansCap.send(reply, view.spanCount, view.returnedSpanCount);
      return view.trace;
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
            service: textParameter({ minLength: 1, maxLength: MAX_TEXT_LENGTH, description: 'service.name of a span of the trace' }),
            operation: textParameter({ minLength: 1, maxLength: MAX_TEXT_LENGTH, description: 'name of a span of the trace' }),
            status: { type: 'string', enum: ['error', 'ok', 'unset'] },
            minDuration: duration,
            maxDuration: duration,
            ...timeRangeQuery,
            limit: { type: 'integer', minimum: 1, maximum: MAX_TRACE_LIMIT, default: DEFAULT_TRACE_LIMIT },
            cursor: textParameter({ maxLength: 256, description: 'nextCursor of the previous page' }),
          },
          ...attributeFilterSchema,
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
      const attributes = attributeFilters(query);
      if (query.service !== undefined) search.service = query.service;
      if (query.operation !== undefined) search.operation = query.operation;
      if (query.status !== undefined) search.status = query.status;
      if (query.minDuration !== undefined) search.minDurationNs = requireDuration('minDuration', query.minDuration);
      if (query.maxDuration !== undefined) search.maxDurationNs = requireDuration('maxDuration', query.maxDuration);
      if (query.cursor !== undefined) search.cursor = query.cursor;
      if (Object.keys(attributes).length > 0) search.attributes = attributes;
      // Summaries alone are cheap to page through; a filter on spans reads them, so its range is bounded.
      const readsSpans =
        search.service !== undefined || search.operation !== undefined || search.attributes !== undefined || search.status === 'ok' || search.status === 'unset';
      if (readsSpans) requireRangeAtMost(search, limits.maxSpanSearchHours, 'a search by service, operation, attr.* or status ok/unset');
      try {
        return await searchTraces(db, siteOf(request), search);
      } catch (error) {
        if (error instanceof InvalidCursorError) throw new InvalidArgumentError(error.message);
        throw error;
      }
    },
  );
};
