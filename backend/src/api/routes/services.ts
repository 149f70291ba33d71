import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { operationRed } from '../../query/traces/operation-red.ts';
import { MAX_RED_POINTS, MIN_RED_STEP_MS, redPointCount, redTimeseries } from '../../query/traces/red-timeseries.ts';
import { serviceRed } from '../../query/traces/service-red.ts';
import type { TimeRange } from '../../query/time-range.ts';
import { siteOf } from '../auth.ts';
import { InvalidArgumentError } from '../errors.ts';
import { MAX_RED_RANGE_HOURS, MAX_TEXT_LENGTH, type ApiLimits } from '../limits.ts';
import { parseDurationNs, requireRangeAtMost, timeRangeFrom } from '../query-params.ts';
import { bearerAuth, errorResponses, textParameter, timeRangeQuery } from '../schemas.ts';

export interface ServiceRoutesOptions {
  db: Kysely<Database>;
  /** The API's limits; RED answers read rollups, not spans, so only MAX_RED_RANGE_HOURS bounds them. */
  limits: ApiLimits;
}

/** Service and operation lists and series look at the last 24 hours unless told otherwise. */
export const DEFAULT_SERVICE_RANGE_MS = 24 * 60 * 60 * 1000;
/** Without a step, a series has about this many points (whole minutes each). */
const DEFAULT_POINTS = 120;

interface RangeQuery {
  start?: string;
  end?: string;
}

interface SeriesQuery extends RangeQuery {
  operation?: string;
  step?: string;
}

const rangeNote = 'Spans count in the minute they start in; a range covers every minute it touches ([start floored, end ceiled) to whole UTC minutes).';
const rangeQuerystring = { type: 'object', properties: timeRangeQuery, additionalProperties: false } as const;
const serviceParams = {
  type: 'object',
  required: ['service'],
  properties: { service: textParameter({ minLength: 1, maxLength: MAX_TEXT_LENGTH, description: 'service.name, URL-encoded' }) },
} as const;

/** The range of a RED answer: read from rollups, so bounded more loosely than span searches. */
function redRange(query: RangeQuery): TimeRange {
  const range = timeRangeFrom(query, DEFAULT_SERVICE_RANGE_MS);
  requireRangeAtMost(range, MAX_RED_RANGE_HOURS, 'a RED answer');
  return range;
}

/** `step` as whole seconds ("300") or a duration ("5m", "1h"); whole minutes, and at most MAX_RED_POINTS steps. */
function stepMsOf(step: string | undefined, range: TimeRange): number {
  let stepMs: number;
  if (step === undefined) {
    const spanMinutes = Math.ceil((range.end.getTime() - range.start.getTime()) / MIN_RED_STEP_MS);
    stepMs = Math.max(1, Math.ceil(spanMinutes / DEFAULT_POINTS)) * MIN_RED_STEP_MS;
  } else {
    const ns = /^\d{1,12}$/.test(step) ? BigInt(step) * 1_000_000_000n : parseDurationNs(step);
    if (ns === null || ns % 60_000_000_000n !== 0n || ns === 0n) {
      throw new InvalidArgumentError('step must be whole minutes, at least 60s: seconds ("300") or a duration ("5m", "1h")');
    }
    stepMs = Number(ns / 1_000_000n);
  }
  if (redPointCount(range, stepMs) > MAX_RED_POINTS) {
    throw new InvalidArgumentError(`step ${stepMs / 1000}s cuts the range into more than ${MAX_RED_POINTS} points: take a longer step or a shorter range`);
  }
  return stepMs;
}

export const serviceRoutes: FastifyPluginAsync<ServiceRoutesOptions> = async (app, { db }) => {
  app.get<{ Querystring: RangeQuery }>(
    '/services',
    {
      schema: {
        summary: 'Services with spans in [start, end) (default: the last 24 hours), with request rate, errors and latency',
        description: rangeNote,
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
    async (request) => ({ services: await serviceRed(db, siteOf(request), redRange(request.query)) }),
  );

  app.get<{ Params: { service: string }; Querystring: RangeQuery }>(
    '/services/:service/operations',
    {
      schema: {
        summary: "A service's span names and kinds in [start, end) (default: the last 24 hours), with request rate, errors and latency",
        description: rangeNote,
        tags: ['services'],
        security: bearerAuth,
        params: serviceParams,
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
      operations: await operationRed(db, siteOf(request), request.params.service, redRange(request.query)),
    }),
  );

  app.get<{ Params: { service: string }; Querystring: SeriesQuery }>(
    '/services/:service/timeseries',
    {
      schema: {
        summary: "A service's (or operation's) request rate, errors and latency per step, for charts",
        description: `${rangeNote} Steps are cut from the aligned start; steps without spans are left out.`,
        tags: ['services'],
        security: bearerAuth,
        params: serviceParams,
        querystring: {
          type: 'object',
          properties: {
            ...timeRangeQuery,
            operation: textParameter({ minLength: 1, maxLength: MAX_TEXT_LENGTH, description: 'only this span name' }),
            step: textParameter({
              minLength: 1,
              maxLength: 32,
              description: `whole minutes, as seconds ("300") or a duration ("5m", "1h"); at most ${MAX_RED_POINTS} steps; default: about ${DEFAULT_POINTS} steps`,
            }),
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['start', 'end', 'step', 'points'],
            properties: {
              start: { type: 'string', format: 'date-time', description: 'the range start, floored to a minute' },
              end: { type: 'string', format: 'date-time', description: 'the range end, ceiled to a minute' },
              step: { type: 'integer', description: 'seconds' },
              points: { type: 'array', items: { $ref: 'RedPoint#' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const range = redRange(request.query);
      const stepMs = stepMsOf(request.query.step, range);
      const { operation } = request.query;
      const series = await redTimeseries(db, siteOf(request), {
        service: request.params.service,
        ...(operation === undefined ? {} : { operation }),
        range,
        stepMs,
      });
      return {
        start: series.range.start.toISOString(),
        end: series.range.end.toISOString(),
        step: series.stepMs / 1000,
        points: series.points.map((point) => ({ ...point, time: point.time.toISOString() })),
      };
    },
  );
};
