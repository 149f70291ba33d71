import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { DEFAULT_FUNNEL_WINDOW, InvalidFunnelError, MAX_FUNNEL_STEPS, MIN_FUNNEL_STEPS, parseFunnelDefinition, type FunnelDefinition } from '../../query/analytics/funnels-definition.ts';
import type { DateRangeInput } from '../../query/analytics/analytics-range.ts';
import { MAX_VISIT_FILTERS } from '../../query/analytics/funnels-visit-filters.ts';
import { runFunnel } from '../../query/analytics/funnels.ts';
import { MAX_GOAL_PATTERN_LENGTH } from '../../query/analytics/goals-match.ts';
import { createFunnel, deleteFunnel, getFunnel, listFunnels, SavedLimitError, updateFunnel, type SavedFunnel } from '../../store/analytics-saved.ts';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import { bearerAuth, errorResponses, textParameter, propValueSchema } from '../schemas.ts';
import { dateRangeBodySchema, noQueryParameters, ownSite, siteDateRange, siteParameter } from './analytics-sites-param.ts';

// Funnels: run one given in the request, or a saved one (read scope); save,
// change and remove saved funnels (admin scope, which does not imply read).

export interface AnalyticsFunnelRoutesOptions {
  db: Kysely<Database>;
}

const MAX_NAME_LENGTH = 256;
const savedId = textParameter({ maxLength: 19, pattern: '^[0-9]{1,19}$', description: 'the saved funnel ID' });

const stepSchema = {
  type: 'object',
  properties: {
    page: textParameter({ minLength: 1, maxLength: MAX_GOAL_PATTERN_LENGTH, description: 'a pathname pattern, whole path: * matches any run of characters' }),
    event: textParameter({ minLength: 1, maxLength: MAX_GOAL_PATTERN_LENGTH, description: 'a custom event name' }),
    props: { type: 'object', maxProperties: 10, additionalProperties: propValueSchema },
    label: textParameter({ maxLength: 256 }),
  },
  additionalProperties: false,
} as const;

const definitionProperties = {
  steps: { type: 'array', minItems: MIN_FUNNEL_STEPS, maxItems: MAX_FUNNEL_STEPS, items: stepSchema, description: 'each { page } or { event, props? }, with an optional label' },
  window: textParameter({ maxLength: 8, description: `how long after the first step the last may come: "30m", "2h", "1d" (at most 90 days); default ${DEFAULT_FUNNEL_WINDOW}` }),
  filters: {
    type: 'array',
    maxItems: MAX_VISIT_FILTERS,
    items: { type: 'array', minItems: 3, maxItems: 3 },
    description: '[operator, "visit:dimension", [values]] with is, is_not, contains or contains_not on the visit dimensions of the query API',
  },
} as const;

const resultSchema = {
  type: 'object',
  required: ['steps'],
  properties: {
    steps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['label', 'visitors', 'conversion_rate', 'conversion_rate_step', 'dropoff', 'dropoff_percentage'],
        properties: {
          label: { type: 'string' },
          visitors: { type: 'integer', description: 'people (users, else visitors) who completed the steps up to this one in order' },
          conversion_rate: { type: 'number', description: 'percent of step 1' },
          conversion_rate_step: { type: 'number', description: 'percent of the previous step' },
          dropoff: { type: 'integer', description: 'people who reached the previous step but not this one' },
          dropoff_percentage: { type: 'number' },
        },
      },
    },
  },
} as const;

const savedSchema = {
  type: 'object',
  required: ['id', 'name', 'steps', 'window', 'filters', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    steps: { type: 'array', items: { ...stepSchema, additionalProperties: true } },
    window: { type: 'string' },
    filters: { type: 'array', items: { type: 'array' } },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const runDescription =
  'People who completed the steps in order within the date range, each step after the previous one and within ' +
  "`window` of the first. A person is a user (the event's user ID, or the user an identify linked its anonymous ID " +
  "to), else a visitor, so a funnel follows a user across devices. Days are the site's time zone's.";

interface FunnelBody {
  site?: string;
  steps?: unknown;
  window?: string;
  filters?: unknown;
  date_range?: DateRangeInput;
}

interface SavedBody {
  site?: string;
  name: string;
  steps: unknown;
  window?: string;
  filters?: unknown;
}

function definitionOf(body: { steps?: unknown; window?: string; filters?: unknown }): FunnelDefinition {
  try {
    return parseFunnelDefinition(body);
  } catch (error) {
    if (error instanceof InvalidFunnelError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function savedJson(funnel: SavedFunnel): Record<string, unknown> {
  return { id: funnel.id, name: funnel.name, ...funnel.definition, createdAt: funnel.createdAt.toISOString(), updatedAt: funnel.updatedAt.toISOString() };
}

/** POST /analytics/funnels, GET /analytics/funnels/saved and POST /analytics/funnels/saved/{id}/run (read scope). */
export const analyticsFunnelReadRoutes: FastifyPluginAsync<AnalyticsFunnelRoutesOptions> = async (app, { db }) => {
  app.post<{ Body: FunnelBody }>(
    '/analytics/funnels',
    {
      schema: {
        summary: 'Run a funnel',
        description: runDescription,
        tags: ['analytics'],
        security: bearerAuth,
        querystring: noQueryParameters,
        body: {
          type: 'object',
          required: ['steps'],
          properties: { site: siteParameter, ...definitionProperties, date_range: dateRangeBodySchema },
          additionalProperties: false,
        },
        response: { 200: resultSchema, ...errorResponses },
      },
    },
    async (request) => {
      const siteId = ownSite(request, request.body.site);
      const definition = definitionOf(request.body);
      return runFunnel(db, siteId, definition, await siteDateRange(db, siteId, request.body.date_range));
    },
  );

  app.get<{ Querystring: { site?: string } }>(
    '/analytics/funnels/saved',
    {
      schema: {
        summary: "The site's saved funnels",
        tags: ['analytics'],
        security: bearerAuth,
        querystring: { type: 'object', properties: { site: siteParameter }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['funnels'], properties: { funnels: { type: 'array', items: savedSchema } } }, ...errorResponses },
      },
    },
    async (request) => ({ funnels: (await listFunnels(db, ownSite(request, request.query.site))).map(savedJson) }),
  );

  app.post<{ Params: { id: string }; Body: { site?: string; date_range?: DateRangeInput } | undefined }>(
    '/analytics/funnels/saved/:id/run',
    {
      schema: {
        summary: 'Run a saved funnel',
        description: runDescription,
        tags: ['analytics'],
        security: bearerAuth,
        params: { type: 'object', required: ['id'], properties: { id: savedId } },
        querystring: noQueryParameters,
        body: { type: 'object', properties: { site: siteParameter, date_range: dateRangeBodySchema }, additionalProperties: false },
        response: { 200: resultSchema, ...errorResponses },
      },
    },
    async (request) => {
      const siteId = ownSite(request, request.body?.site);
      const funnel = await getFunnel(db, siteId, request.params.id);
      if (funnel === null) throw new NotFoundError(`funnel ${request.params.id} not found`);
      return runFunnel(db, siteId, funnel.definition, await siteDateRange(db, siteId, request.body?.date_range));
    },
  );
};

/** POST /analytics/funnels/saved, PUT and DELETE /analytics/funnels/saved/{id} (admin scope); `db` must be a pool that may write. */
export const analyticsFunnelAdminRoutes: FastifyPluginAsync<AnalyticsFunnelRoutesOptions> = async (app, { db }) => {
  const body = {
    type: 'object',
    required: ['name', 'steps'],
    properties: { site: siteParameter, name: textParameter({ minLength: 1, maxLength: MAX_NAME_LENGTH }), ...definitionProperties },
    additionalProperties: false,
  } as const;

  app.post<{ Body: SavedBody }>(
    '/analytics/funnels/saved',
    {
      schema: { summary: 'Save a funnel (admin scope)', tags: ['analytics'], security: bearerAuth, querystring: noQueryParameters, body, response: { 201: savedSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const siteId = ownSite(request, request.body.site);
      const definition = definitionOf(request.body);
      try {
        return reply.code(201).send(savedJson(await createFunnel(db, siteId, request.body.name, definition)));
      } catch (error) {
        if (error instanceof SavedLimitError) throw new InvalidArgumentError(error.message);
        throw error;
      }
    },
  );

  app.put<{ Params: { id: string }; Body: SavedBody }>(
    '/analytics/funnels/saved/:id',
    {
      schema: {
        summary: 'Replace a saved funnel (admin scope)',
        tags: ['analytics'],
        security: bearerAuth,
        params: { type: 'object', required: ['id'], properties: { id: savedId } },
        querystring: noQueryParameters,
        body,
        response: { 200: savedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const siteId = ownSite(request, request.body.site);
      const funnel = await updateFunnel(db, siteId, request.params.id, request.body.name, definitionOf(request.body));
      if (funnel === null) throw new NotFoundError(`funnel ${request.params.id} not found`);
      return savedJson(funnel);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/analytics/funnels/saved/:id',
    {
      schema: {
        summary: 'Remove a saved funnel (admin scope)',
        tags: ['analytics'],
        security: bearerAuth,
        params: { type: 'object', required: ['id'], properties: { id: savedId } },
        querystring: noQueryParameters,
        response: { 204: { type: 'null', description: 'removed' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await deleteFunnel(db, ownSite(request, undefined), request.params.id))) throw new NotFoundError(`funnel ${request.params.id} not found`);
      return reply.code(204).send();
    },
  );
};
