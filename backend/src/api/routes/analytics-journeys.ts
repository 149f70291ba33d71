import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { getUserProfile, USER_SESSIONS_SHOWN } from '../../query/analytics/journeys.ts';
import { DEFAULT_JOURNEY_EVENTS, InvalidJourneyCursorError, MAX_JOURNEY_EVENTS, userEvents } from '../../query/analytics/journeys-events.ts';
import { getSessionView, MAX_SESSION_EVENTS } from '../../query/analytics/journeys-session.ts';
import { siteOf } from '../auth.ts';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import { bearerAuth, errorResponses, textParameter } from '../schemas.ts';
import { noQueryParameters } from './analytics-sites-param.ts';

// Journeys (read scope): a user's profile and visits, the user's events in
// order across sessions and devices, and one session with its events.

export interface AnalyticsJourneyRoutesOptions {
  db: Kysely<Database>;
}

const userIdParameter = textParameter({ minLength: 1, maxLength: 1024, description: 'the user ID the SDK identified' });

const sessionProperties = {
  sessionId: { type: 'string', description: 'signed int64 as a decimal string' },
  startedAt: { type: 'string', format: 'date-time' },
  lastSeenAt: { type: 'string', format: 'date-time' },
  durationMs: { type: 'integer' },
  userId: { type: ['string', 'null'] },
  anonymousId: { type: ['string', 'null'] },
  hostname: { type: 'string' },
  entryPage: { type: 'string' },
  exitPage: { type: 'string' },
  pageviews: { type: 'integer' },
  events: { type: 'integer' },
  bounce: { type: 'boolean' },
  source: { type: 'string', description: '"" for direct' },
  referrer: { type: 'string' },
  channel: { type: 'string' },
  utmSource: { type: 'string' },
  utmMedium: { type: 'string' },
  utmCampaign: { type: 'string' },
  utmTerm: { type: 'string' },
  utmContent: { type: 'string' },
  country: { type: 'string' },
  region: { type: 'string' },
  city: { type: 'string' },
  device: { type: 'string' },
  browser: { type: 'string' },
  browserVersion: { type: 'string' },
  os: { type: 'string' },
  osVersion: { type: 'string' },
} as const;

const sessionSchema = { type: 'object', required: Object.keys(sessionProperties), properties: sessionProperties } as const;

const eventSchema = {
  type: 'object',
  required: ['eventId', 'time', 'timeUnixNano', 'name', 'sessionId', 'userId', 'anonymousId', 'hostname', 'pathname', 'query', 'title', 'props', 'engagementMs', 'scrollDepth'],
  properties: {
    eventId: { type: 'string', description: '32 hex digits' },
    time: { type: 'string', format: 'date-time' },
    timeUnixNano: { type: 'string', description: 'nanoseconds as a decimal string' },
    name: { type: 'string' },
    sessionId: { type: 'string' },
    userId: { type: ['string', 'null'] },
    anonymousId: { type: ['string', 'null'] },
    hostname: { type: 'string' },
    pathname: { type: 'string' },
    query: { type: 'string' },
    title: { type: 'string' },
    props: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    engagementMs: { type: ['integer', 'null'] },
    scrollDepth: { type: ['integer', 'null'] },
  },
} as const;

export const analyticsJourneyRoutes: FastifyPluginAsync<AnalyticsJourneyRoutesOptions> = async (app, { db }) => {
  app.get<{ Params: { userId: string } }>(
    '/analytics/users/:userId',
    {
      schema: {
        summary: 'A user: first and last seen, traits, visits',
        description:
          'Everything of the user ID and of the anonymous IDs identified as it: first and last seen, traits (of every ' +
          `identify, the latest winning per key), the anonymous IDs, and the ${USER_SESSIONS_SHOWN} newest sessions with ` +
          'their source, device, place and pageview paths. 404 when nothing carries the user ID.',
        tags: ['analytics'],
        security: bearerAuth,
        params: { type: 'object', required: ['userId'], properties: { userId: userIdParameter } },
        querystring: noQueryParameters,
        response: {
          200: {
            type: 'object',
            required: ['userId', 'firstSeen', 'lastSeen', 'traits', 'anonymousIds', 'sessionCount', 'sessions'],
            properties: {
              userId: { type: 'string' },
              firstSeen: { type: 'string', format: 'date-time' },
              lastSeen: { type: 'string', format: 'date-time' },
              traits: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
              anonymousIds: { type: 'array', items: { type: 'string' } },
              sessionCount: { type: 'integer' },
              sessions: {
                type: 'array',
                items: {
                  type: 'object',
                  required: [...Object.keys(sessionProperties), 'pages'],
                  properties: { ...sessionProperties, pages: { type: 'array', items: { type: 'string' } } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const profile = await getUserProfile(db, siteOf(request), request.params.userId);
      if (profile === null) throw new NotFoundError(`user ${request.params.userId} not found`);
      return profile;
    },
  );

  app.get<{ Params: { userId: string }; Querystring: { limit: number; cursor?: string } }>(
    '/analytics/users/:userId/events',
    {
      schema: {
        summary: "A user's events in order, across sessions and devices",
        description: 'Events with the user ID or an anonymous ID identified as it, oldest first. Page with nextCursor.',
        tags: ['analytics'],
        security: bearerAuth,
        params: { type: 'object', required: ['userId'], properties: { userId: userIdParameter } },
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: MAX_JOURNEY_EVENTS, default: DEFAULT_JOURNEY_EVENTS },
            cursor: textParameter({ maxLength: 256, description: 'nextCursor of the previous page' }),
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['events', 'nextCursor'],
            properties: {
              events: { type: 'array', items: eventSchema },
              nextCursor: { type: ['string', 'null'], description: 'pass as cursor for the next page; null on the last' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      try {
        return await userEvents(db, siteOf(request), request.params.userId, { limit: request.query.limit, ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }) });
      } catch (error) {
        if (error instanceof InvalidJourneyCursorError) throw new InvalidArgumentError(error.message);
        throw error;
      }
    },
  );

  app.get<{ Params: { sessionId: string } }>(
    '/analytics/sessions/:sessionId',
    {
      schema: {
        summary: 'One session and its events',
        description: `The visit, anonymous or not, and its first ${MAX_SESSION_EVENTS} events in order.`,
        tags: ['analytics'],
        security: bearerAuth,
        params: {
          type: 'object',
          required: ['sessionId'],
          properties: { sessionId: textParameter({ maxLength: 20, pattern: '^-?[0-9]{1,19}$', description: 'signed int64 as a decimal string' }) },
        },
        querystring: noQueryParameters,
        response: {
          200: {
            type: 'object',
            required: ['session', 'events', 'truncated'],
            properties: { session: sessionSchema, events: { type: 'array', items: eventSchema }, truncated: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const view = await getSessionView(db, siteOf(request), request.params.sessionId);
      if (view === null) throw new NotFoundError(`session ${request.params.sessionId} not found`);
      return view;
    },
  );
};
