import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { metricAttributeValues } from '../../query/metrics/attribute-values.ts';
import { aggregations, WrongMetricTypeError, type Aggregation } from '../../query/metrics/metric-aggregations.ts';
import { listMetrics } from '../../query/metrics/metric-catalog.ts';
import { MAX_METRIC_FILTER_VALUES, MAX_METRIC_FILTERS, MAX_METRIC_GROUP_BY, MAX_METRIC_STEPS } from '../../query/metrics/metric-limits.ts';
import { queryMetric } from '../../query/metrics/metric-query.ts';
import { filterOps, InvalidMetricQueryError, TooManySeriesError, type MetricFilter } from '../../query/metrics/series-selection.ts';
import type { TimeRange } from '../../query/time-range.ts';
import { siteOf } from '../auth.ts';
import { InvalidArgumentError } from '../errors.ts';
import { MAX_ATTRIBUTE_KEY_LENGTH, MAX_TEXT_LENGTH, type ApiLimits } from '../limits.ts';
import { requireRangeAtMost, timeRangeFrom } from '../query-params.ts';
import { bearerAuth, errorResponses, textParameter, timeRangeQuery } from '../schemas.ts';

export interface MetricRoutesOptions {
  db: Kysely<Database>;
  limits: ApiLimits;
}

/** The metric list and attribute values look at the last 24 hours unless told otherwise. */
export const DEFAULT_METRIC_LIST_MS = 24 * 60 * 60 * 1000;
/** A metric query looks at the last hour unless told otherwise. */
export const DEFAULT_METRIC_QUERY_MS = 60 * 60 * 1000;
/** A metric query's step unless told otherwise. */
export const DEFAULT_METRIC_STEP_SECONDS = 60;

interface RangeQuery {
  start?: string;
  end?: string;
}

interface QueryBody {
  metric: string;
  filters?: MetricFilter[];
  groupBy?: string[];
  aggregation: Aggregation;
  step?: number;
  start?: string;
  end?: string;
}

const rangeQuerystring = { type: 'object', properties: timeRangeQuery, additionalProperties: false } as const;
const metricName = textParameter({ minLength: 1, maxLength: MAX_TEXT_LENGTH, description: 'the metric name' });
const attributeKey = textParameter({ minLength: 1, maxLength: MAX_ATTRIBUTE_KEY_LENGTH, description: 'a point attribute key, else a resource attribute key' });
const attributeValue = textParameter({ maxLength: MAX_TEXT_LENGTH });

const keyRule =
  'A key names the point attribute when the series has one of that key, else the resource attribute (so host.name and ' +
  'service.name work as well as a point attribute like state or cpu); values compare as text (ints as digits, bools as ' +
  'true/false).';

const metricSummary = {
  type: 'object',
  required: ['name', 'type', 'unit', 'temporality', 'monotonic', 'description', 'seriesCount', 'attributeKeys', 'resourceAttributeKeys'],
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'] },
    unit: { type: 'string' },
    temporality: { type: 'integer', description: '0 gauges and summaries, 1 delta, 2 cumulative' },
    monotonic: { type: 'boolean' },
    description: { type: 'string' },
    seriesCount: { type: 'integer' },
    attributeKeys: { type: 'array', items: { type: 'string' } },
    resourceAttributeKeys: { type: 'array', items: { type: 'string' } },
  },
} as const;

const exemplar = {
  type: 'object',
  description: 'OTLP/JSON Exemplar',
  properties: {
    filteredAttributes: { type: 'array', items: { $ref: 'KeyValue#' } },
    timeUnixNano: { type: 'string' },
    asDouble: { type: ['number', 'string'] },
    asInt: { type: 'string' },
    spanId: { type: 'string' },
    traceId: { type: 'string' },
  },
} as const;

const queryResult = {
  type: 'object',
  required: ['metric', 'type', 'unit', 'aggregation', 'step', 'start', 'end', 'series'],
  properties: {
    metric: { type: 'string' },
    type: { type: ['string', 'null'], description: 'null when no series matched' },
    unit: { type: ['string', 'null'] },
    aggregation: { type: 'string' },
    step: { type: 'integer' },
    start: { type: 'integer' },
    end: { type: 'integer' },
    series: {
      type: 'array',
      items: {
        type: 'object',
        required: ['labels', 'points', 'exemplars'],
        properties: {
          labels: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
          points: {
            type: 'array',
            description: '[unix ms of the step start, value]; a value JSON cannot hold is "NaN", "Infinity" or "-Infinity"',
            items: { type: 'array', items: [{ type: 'integer' }, { type: ['number', 'string'] }], minItems: 2, maxItems: 2 },
          },
          exemplars: { type: 'array', items: exemplar },
        },
      },
    },
  },
} as const;

export const metricRoutes: FastifyPluginAsync<MetricRoutesOptions> = async (app, { db, limits }) => {
  // Every route reads rows by time range; bounded like every raw-row search.
  const rangeOf = (query: RangeQuery, defaultMs: number, what: string): TimeRange => {
    const range = timeRangeFrom(query, defaultMs);
    requireRangeAtMost(range, limits.maxSpanSearchHours, what);
    return range;
  };

  app.get<{ Querystring: RangeQuery }>(
    '/metrics',
    {
      schema: {
        summary: 'Metrics with points on the UTC days of [start, end) (default: the last 24 hours)',
        description:
          'Each metric (per name, type, unit, temporality and monotonicity) with its description, series count, and the ' +
          'attribute keys of its points and of its resources.',
        tags: ['metrics'],
        security: bearerAuth,
        querystring: rangeQuerystring,
        response: {
          200: {
            type: 'object',
            required: ['metrics', 'truncated'],
            properties: { metrics: { type: 'array', items: metricSummary }, truncated: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => listMetrics(db, siteOf(request), rangeOf(request.query, DEFAULT_METRIC_LIST_MS, 'a metric list')),
  );

  app.get<{ Params: { name: string; key: string }; Querystring: RangeQuery }>(
    '/metrics/:name/attributes/:key/values',
    {
      schema: {
        summary: "The values an attribute takes on a metric's series (default: the last 24 hours), for filter pickers",
        description: `${keyRule} Sorted; at most 1,000 (truncated says when there were more). An unknown metric or key has none.`,
        tags: ['metrics'],
        security: bearerAuth,
        params: { type: 'object', required: ['name', 'key'], properties: { name: metricName, key: attributeKey } },
        querystring: rangeQuerystring,
        response: {
          200: {
            type: 'object',
            required: ['values', 'truncated'],
            properties: { values: { type: 'array', items: { type: 'string' } }, truncated: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) =>
      metricAttributeValues(db, siteOf(request), request.params.name, request.params.key, rangeOf(request.query, DEFAULT_METRIC_LIST_MS, 'an attribute value list')),
  );

  app.post<{ Body: QueryBody }>(
    '/metrics/query',
    {
      schema: {
        summary: 'One metric over time in steps, aggregated per group of series',
        description:
          `${keyRule} filters: eq, neq (series without the key match too), in (a list), regex (a PostgreSQL regular ` +
          'expression matching the whole value; an absent key reads as ""). aggregation: gauges take avg, min, max, sum ' +
          '(per series over each step, then across the group: avg of averages, min, max, sum of averages) and count ' +
          '(points with a value); monotonic ' +
          'cumulative sums also rate and increase (per series the deltas between points, the first delta of a step taken ' +
          'from the point before it; a point whose start time moves later or whose value drops is a reset counted from ' +
          'zero, and a series whose start time lies inside the range counts its first point whole; rate = increase / step ' +
          'seconds); delta sums rate, increase and sum (added up) and avg, min, max, count; histograms ' +
          'and exponential histograms p50, p90, p95, p99 (buckets merged across series and the step: cumulative ones by ' +
          'their per-series increase; explicit buckets interpolated as Prometheus histogram_quantile; exponential ones on ' +
          'a log scale, relative error below 2^(2^-scale) - 1) and count, sum, avg of observations; summaries pNN, their ' +
          'own quantile averaged. Another type is a 400. Each point is [unix ms of the step start, value] for a step ' +
          '[t, t + step) that has a value; steps with no points or only gaps (NO_RECORDED_VALUE) have no point. An ' +
          'unknown metric answers no series and type null.',
        tags: ['metrics'],
        security: bearerAuth,
        querystring: { type: 'object', properties: {}, additionalProperties: false },
        body: {
          type: 'object',
          required: ['metric', 'aggregation'],
          properties: {
            metric: metricName,
            filters: {
              type: 'array',
              maxItems: MAX_METRIC_FILTERS,
              items: {
                type: 'object',
                required: ['key', 'op', 'value'],
                properties: {
                  key: attributeKey,
                  op: { type: 'string', enum: filterOps },
                  value: { anyOf: [attributeValue, { type: 'array', maxItems: MAX_METRIC_FILTER_VALUES, items: attributeValue }] },
                },
                additionalProperties: false,
              },
            },
            groupBy: { type: 'array', maxItems: MAX_METRIC_GROUP_BY, items: attributeKey },
            aggregation: { type: 'string', enum: aggregations },
            step: { type: 'integer', minimum: 1, maximum: 31 * 24 * 3600, default: DEFAULT_METRIC_STEP_SECONDS, description: `seconds; at most ${MAX_METRIC_STEPS} steps` },
            ...timeRangeQuery,
          },
          additionalProperties: false,
        },
        response: { 200: queryResult, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const range = rangeOf(body, DEFAULT_METRIC_QUERY_MS, 'a metric query');
      try {
        return await queryMetric(db, siteOf(request), {
          ...range,
          metric: body.metric,
          filters: body.filters ?? [],
          groupBy: body.groupBy ?? [],
          aggregation: body.aggregation,
          stepSeconds: body.step ?? DEFAULT_METRIC_STEP_SECONDS,
        });
      } catch (error) {
        if (error instanceof InvalidMetricQueryError || error instanceof TooManySeriesError || error instanceof WrongMetricTypeError) {
          throw new InvalidArgumentError(error.message);
        }
        throw error;
      }
    },
  );
};
