import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { filterOps, InvalidAnalyticsQueryError, MAX_LIMIT, parseAnalyticsQuery } from '../../query/analytics/analytics-request.ts';
import { analyticsMetrics } from '../../query/analytics/analytics-metrics.ts';
import { isInvalidRegexError, runAnalyticsQuery, siteTimeZone } from '../../query/analytics/analytics-query.ts';
import { namedDateRanges } from '../../query/analytics/analytics-range.ts';
import { siteOf } from '../auth.ts';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import type { ApiLimits } from '../limits.ts';
import { bearerAuth, errorResponses } from '../schemas.ts';

export interface AnalyticsQueryRoutesOptions {
  db: Kysely<Database>;
  limits: ApiLimits;
}

// The body is checked by parseAnalyticsQuery (precise 400 messages, bounded
// lists); the schema here documents it for the OpenAPI document.
const body = {
  type: 'object',
  description:
    'The Plausible Stats API v2 query shape. filters: [operator, dimension, [values]] with operator one of ' +
    `${filterOps.join(', ')} (matches: a PostgreSQL regular expression), ["and"|"or", [filters]], ["not", filter]; ` +
    'at most 20 filters, nested at most 3 deep, 100 values each.',
  properties: {
    site: { type: 'string', description: "the site ID; default the key's site; another site is 404" },
    date_range: {
      description: `one of ${namedDateRanges.join(', ')} (ending today in the site's time zone), or [start, end]: ISO dates (whole days, both included) or ISO datetimes with offsets`,
    },
    metrics: { type: 'array', items: { type: 'string' }, description: analyticsMetrics.join(', ') },
    dimensions: {
      type: 'array',
      items: { type: 'string' },
      description: 'event:page, event:name, event:goal, event:hostname, event:props:KEY, visit:* (entry_page, exit_page, source, referrer, channel, utm_*, device, browser, browser_version, os, os_version, country, region, city, hostname), time, time:hour|day|week|month',
    },
    filters: { type: 'array' },
    order_by: { type: 'array', items: { type: 'array' } },
    limit: { type: 'integer', description: `1 to ${MAX_LIMIT}; default ${MAX_LIMIT}` },
    offset: { type: 'integer' },
    pagination: { type: 'object', properties: { limit: { type: 'integer' }, offset: { type: 'integer' } } },
    include: { type: 'object', properties: { compare: { type: 'string', description: 'previous_period' } } },
    compare: { type: 'string', description: 'previous_period: each row also gets the preceding range of equal length' },
  },
} as const;

const response = {
  type: 'object',
  required: ['results', 'meta', 'query'],
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['dimensions', 'metrics'],
        properties: {
          dimensions: { type: 'array', items: { type: 'string' } },
          metrics: { type: 'array', items: { type: 'number' } },
          comparison: {
            type: 'object',
            properties: {
              dimensions: { type: 'array', items: { type: 'string' } },
              metrics: { type: 'array', items: { type: 'number' } },
              change: { type: 'array', items: { type: ['number', 'null'] } },
            },
          },
        },
      },
    },
    meta: { type: 'object', additionalProperties: true },
    query: { type: 'object', additionalProperties: true },
  },
} as const;

export const analyticsQueryRoutes: FastifyPluginAsync<AnalyticsQueryRoutesOptions> = async (app, { db }) => {
  app.post<{ Body: unknown }>(
    '/analytics/query',
    {
      schema: {
        summary: "Web analytics: metrics by dimensions over a date range, in the site's time zone",
        description:
          'visitors, visits, pageviews, views_per_visit, bounce_rate, visit_duration (seconds), events, conversion_rate ' +
          '(needs an event:goal dimension or filter). Read from rollups when the query has at most one non-time dimension and ' +
          'filters only that one, else from raw events; both give the same answer. An empty value shows as "(none)" ' +
          '("Direct / None" for visit:source), and filters take the same words.',
        tags: ['analytics'],
        security: bearerAuth,
        querystring: { type: 'object', properties: {}, additionalProperties: false },
        body,
        response: { 200: response, ...errorResponses },
      },
    },
    async (request) => {
      let query;
      try {
        query = parseAnalyticsQuery(request.body);
      } catch (error) {
        if (error instanceof InvalidAnalyticsQueryError) throw new InvalidArgumentError(error.message);
        throw error;
      }
      const siteId = siteOf(request);
      if (query.site !== null && query.site !== siteId) throw new NotFoundError(`no site ${query.site} for this API key`);
      const timeZone = await siteTimeZone(db, siteId);
      if (timeZone === null) throw new NotFoundError(`no site ${siteId}`);
      try {
        return await runAnalyticsQuery(db, siteId, timeZone, query);
      } catch (error) {
        if (isInvalidRegexError(error)) throw new InvalidArgumentError('a matches filter holds an invalid regular expression');
        throw error;
      }
    },
  );
};
