import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { MAX_SEARCH_TERMS, severityLevels, TooManySearchTermsError, type SeverityLevel } from '../../query/logs/log-search.ts';
import { DEFAULT_LOG_LIMIT, getTraceLogs, MAX_LOG_LIMIT, searchLogs, type LogSearch } from '../../query/logs/logs.ts';
import { InvalidCursorError } from '../../query/traces/trace-cursor.ts';
import { siteOf } from '../auth.ts';
import { cappedResult } from '../capped-result.ts';
import { InvalidArgumentError } from '../errors.ts';
import { MAX_TEXT_LENGTH, type ApiLimits } from '../limits.ts';
import { attributeFilterSchema, attributeFilters, requireRangeAtMost, timeRangeFrom } from '../query-params.ts';
import { bearerAuth, errorResponses, textParameter, timeRangeQuery } from '../schemas.ts';

export interface LogRoutesOptions {
  db: Kysely<Database>;
  limits: ApiLimits;
}

/** Log search looks at the last hour unless told otherwise. */
export const DEFAULT_LOG_SEARCH_MS = 60 * 60 * 1000;

interface SearchQuery {
  q?: string;
  severity?: SeverityLevel;
  service?: string;
  traceId?: string;
  spanId?: string;
  start?: string;
  end?: string;
  limit: number;
  cursor?: string;
  [attribute: `attr.${string}`]: string;
}

/** The logs of a trace, capped at their limit, say so in headers as a trace fetch does. */
export const traceLogsCap = cappedResult('logs', 'records');

const traceIdParameter = textParameter({ maxLength: 32, pattern: '^[0-9a-fA-F]{32}$', description: '32 hex digits' });

export const logRoutes: FastifyPluginAsync<LogRoutesOptions> = async (app, { db, limits }) => {
  app.get<{ Querystring: SearchQuery }>(
    '/logs',
    {
      schema: {
        summary: 'Search log records, newest first',
        description:
          'Log records that happened in [start, end) (default: the last hour; at most the raw-row search range), newest ' +
          'first, as OTLP/JSON LogsData grouped by resource and scope, with nextCursor. q holds words and "quoted ' +
          'phrases", each found anywhere in the body or a string attribute (case-insensitive, Unicode-aware), and ' +
          '-excluded words or phrases; all must hold. severity is a minimum level, by severityNumber, or by ' +
          'severityText when the number is 0. attr.KEY=VALUE matches record or resource attributes as in trace search.',
        tags: ['logs'],
        security: bearerAuth,
        querystring: {
          type: 'object',
          properties: {
            q: textParameter({ maxLength: MAX_TEXT_LENGTH, description: `words, "phrases" and -exclusions, at most ${MAX_SEARCH_TERMS}` }),
            severity: { type: 'string', enum: severityLevels, description: 'this level and above' },
            service: textParameter({ minLength: 1, maxLength: MAX_TEXT_LENGTH, description: 'service.name of the record' }),
            traceId: traceIdParameter,
            spanId: textParameter({ maxLength: 16, pattern: '^[0-9a-fA-F]{16}$', description: '16 hex digits' }),
            ...timeRangeQuery,
            limit: { type: 'integer', minimum: 1, maximum: MAX_LOG_LIMIT, default: DEFAULT_LOG_LIMIT },
            cursor: textParameter({ maxLength: 256, description: 'nextCursor of the previous page' }),
          },
          ...attributeFilterSchema,
          additionalProperties: false,
        },
        response: { 200: { $ref: 'LogsPage#' }, ...errorResponses },
      },
    },
    async (request) => {
      const query = request.query;
      const search: LogSearch = { ...timeRangeFrom(query, DEFAULT_LOG_SEARCH_MS), limit: query.limit };
      // Every log search reads raw records, so its range is always bounded.
      requireRangeAtMost(search, limits.maxSpanSearchHours, 'a log search');
      const attributes = attributeFilters(query);
      if (query.q !== undefined) search.q = query.q;
      if (query.severity !== undefined) search.severity = query.severity;
      if (query.service !== undefined) search.service = query.service;
      if (query.traceId !== undefined) search.traceId = Buffer.from(query.traceId, 'hex');
      if (query.spanId !== undefined) search.spanId = Buffer.from(query.spanId, 'hex');
      if (query.cursor !== undefined) search.cursor = query.cursor;
      if (Object.keys(attributes).length > 0) search.attributes = attributes;
      try {
        const { logs, nextCursor } = await searchLogs(db, siteOf(request), search);
        return { ...logs, nextCursor };
      } catch (error) {
        if (error instanceof InvalidCursorError || error instanceof TooManySearchTermsError) throw new InvalidArgumentError(error.message);
        throw error;
      }
    },
  );

  app.get<{ Params: { traceId: string }; Querystring: { limit: number } }>(
    '/traces/:traceId/logs',
    {
      schema: {
        summary: "A trace's log records as OTLP/JSON LogsData, oldest first",
        description:
          `The log records that name the trace, the earliest ${limits.maxTraceLogs} at most (limit), grouped by resource ` +
          `and scope; empty when there are none. ${traceLogsCap.described}`,
        tags: ['logs', 'traces'],
        security: bearerAuth,
        params: { type: 'object', required: ['traceId'], properties: { traceId: traceIdParameter } },
        querystring: {
          type: 'object',
          properties: {
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: limits.maxTraceLogs,
              default: limits.maxTraceLogs,
              description: 'most records returned, the earliest',
            },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            $ref: 'LogsData#',
            description: "the trace's log records, or its earliest",
            headers: traceLogsCap.schema,
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const view = await getTraceLogs(db, siteOf(request), request.params.traceId.toLowerCase(), { limit: request.query.limit });
      traceLogsCap.send(reply, view.recordCount, view.returnedRecordCount);
      return view.logs;
    },
  );
};
