import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { realtime, REALTIME_TOP } from '../../query/analytics/realtime.ts';
import { bearerAuth, errorResponses } from '../schemas.ts';
import { ownSite, siteParameter } from './analytics-sites-param.ts';

export interface AnalyticsRealtimeRoutesOptions {
  db: Kysely<Database>;
}

const ranked = {
  type: 'array',
  items: { type: 'object', required: ['name', 'visitors'], properties: { name: { type: 'string' }, visitors: { type: 'integer' } } },
} as const;

/** GET /analytics/realtime (read scope). */
export const analyticsRealtimeRoutes: FastifyPluginAsync<AnalyticsRealtimeRoutesOptions> = async (app, { db }) => {
  app.get<{ Querystring: { site?: string } }>(
    '/analytics/realtime',
    {
      schema: {
        summary: 'Visitors now: the last five minutes',
        description:
          'Distinct visitors with an event in the last five minutes, and the top ' +
          `${REALTIME_TOP} pages (pageview paths) and sources (the referrer source of their visits; "" is direct) by distinct visitors.`,
        tags: ['analytics'],
        security: bearerAuth,
        querystring: { type: 'object', properties: { site: siteParameter }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            required: ['visitors', 'pages', 'sources'],
            properties: { visitors: { type: 'integer' }, pages: ranked, sources: ranked },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => realtime(db, ownSite(request, request.query.site)),
  );
};
