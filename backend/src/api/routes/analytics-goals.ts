import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { dateRangeFromQuery } from '../../query/analytics/funnels-date-range.ts';
import { goalConversions } from '../../query/analytics/goals.ts';
import { goalLabel, InvalidGoalError, MAX_GOAL_PATTERN_LENGTH, parseGoalDefinition, type GoalDefinition } from '../../query/analytics/goals-match.ts';
import { createGoal, deleteGoal, listGoals, SavedLimitError, type SavedGoal } from '../../store/analytics-saved.ts';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import { bearerAuth, errorResponses, textParameter, propValueSchema } from '../schemas.ts';
import { dateRangeQueryParameter, noQueryParameters, ownSite, siteDateRange, siteParameter } from './analytics-sites-param.ts';

// Goals: a page pattern ("/pricing*": * any run of characters) or
// a custom event with optional props. Listing them and their conversions
// needs the read scope; creating and deleting them changes the site's
// configuration and needs admin (which does not imply read).

export interface AnalyticsGoalRoutesOptions {
  db: Kysely<Database>;
}

const MAX_NAME_LENGTH = 256;
const savedId = textParameter({ maxLength: 19, pattern: '^[0-9]{1,19}$', description: 'the goal ID' });

/** The goal's fields, as they are given: page, or event and props. */
const definitionProperties = {
  page: textParameter({ minLength: 1, maxLength: MAX_GOAL_PATTERN_LENGTH, description: 'a pathname pattern, whole path: * matches any run of characters' }),
  event: textParameter({ minLength: 1, maxLength: MAX_GOAL_PATTERN_LENGTH, description: 'a custom event name' }),
  props: {
    type: 'object',
    maxProperties: 10,
    additionalProperties: propValueSchema,
    description: 'props the event must carry, each with the same JSON value (3 is not "3")',
  },
} as const;

const goalSchema = {
  type: 'object',
  required: ['id', 'name', 'createdAt'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, ...definitionProperties, createdAt: { type: 'string', format: 'date-time' } },
} as const;

const conversionSchema = {
  type: 'object',
  required: ['id', 'name', 'visitors', 'events', 'conversion_rate'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    ...definitionProperties,
    visitors: { type: 'integer', description: 'distinct visitors who converted' },
    events: { type: 'integer', description: 'matching events' },
    conversion_rate: { type: 'number', description: 'visitors / all visitors of the range, in percent' },
  },
} as const;

function goalJson(goal: SavedGoal): Record<string, unknown> {
  return { id: goal.id, name: goal.name, ...goal.definition, createdAt: goal.createdAt.toISOString() };
}

/** GET /analytics/goals and /analytics/goals/conversions (read scope). */
export const analyticsGoalReadRoutes: FastifyPluginAsync<AnalyticsGoalRoutesOptions> = async (app, { db }) => {
  app.get<{ Querystring: { site?: string } }>(
    '/analytics/goals',
    {
      schema: {
        summary: "The site's goals",
        tags: ['analytics'],
        security: bearerAuth,
        querystring: { type: 'object', properties: { site: siteParameter }, additionalProperties: false },
        response: { 200: { type: 'object', required: ['goals'], properties: { goals: { type: 'array', items: goalSchema } } }, ...errorResponses },
      },
    },
    async (request) => ({ goals: (await listGoals(db, ownSite(request, request.query.site))).map(goalJson) }),
  );

  app.get<{ Querystring: { site?: string; date_range?: string } }>(
    '/analytics/goals/conversions',
    {
      schema: {
        summary: 'Conversions of every goal over a date range',
        description:
          'Per goal: distinct visitors with a matching event, matching events, and the conversion rate (those visitors ' +
          'as a percentage of every visitor of the range, two decimals). Days are the site\'s time zone\'s.',
        tags: ['analytics'],
        security: bearerAuth,
        querystring: { type: 'object', properties: { site: siteParameter, date_range: dateRangeQueryParameter }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            required: ['visitors', 'goals'],
            properties: { visitors: { type: 'integer', description: 'distinct visitors of the range' }, goals: { type: 'array', items: conversionSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const siteId = ownSite(request, request.query.site);
      const range = await siteDateRange(db, siteId, request.query.date_range === undefined ? undefined : dateRangeFromQuery(request.query.date_range));
      const goals = await listGoals(db, siteId);
      const result = await goalConversions(db, siteId, goals, range);
      return {
        visitors: result.visitors,
        goals: result.goals.map(({ goal, ...conversion }) => ({ ...goal, ...conversion })),
      };
    },
  );
};

interface NewGoalBody {
  site?: string;
  name?: string;
  page?: string;
  event?: string;
  props?: Record<string, string | number | boolean>;
}

/** POST /analytics/goals and DELETE /analytics/goals/{id} (admin scope); writes go through `db`, a pool that may write. */
export const analyticsGoalAdminRoutes: FastifyPluginAsync<AnalyticsGoalRoutesOptions> = async (app, { db }) => {
  app.post<{ Body: NewGoalBody }>(
    '/analytics/goals',
    {
      schema: {
        summary: 'Add a goal (admin scope)',
        description: 'Exactly one of page and event; props only with event. name defaults to "Visit <page>" or the event name.',
        tags: ['analytics'],
        security: bearerAuth,
        querystring: noQueryParameters,
        body: {
          type: 'object',
          properties: { site: siteParameter, name: textParameter({ minLength: 1, maxLength: MAX_NAME_LENGTH }), ...definitionProperties },
          additionalProperties: false,
        },
        response: { 201: goalSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { site, name, ...given } = request.body;
      const siteId = ownSite(request, site);
      let definition: GoalDefinition;
      try {
        definition = parseGoalDefinition(given);
      } catch (error) {
        if (error instanceof InvalidGoalError) throw new InvalidArgumentError(error.message);
        throw error;
      }
      try {
        const goal = await createGoal(db, siteId, name ?? goalLabel(definition), definition);
        return reply.code(201).send(goalJson(goal));
      } catch (error) {
        if (error instanceof SavedLimitError) throw new InvalidArgumentError(error.message);
        throw error;
      }
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/analytics/goals/:id',
    {
      schema: {
        summary: 'Remove a goal (admin scope)',
        tags: ['analytics'],
        security: bearerAuth,
        params: { type: 'object', required: ['id'], properties: { id: savedId } },
        querystring: noQueryParameters,
        response: { 204: { type: 'null', description: 'removed' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await deleteGoal(db, ownSite(request, undefined), request.params.id))) throw new NotFoundError(`goal ${request.params.id} not found`);
      return reply.code(204).send();
    },
  );
};
