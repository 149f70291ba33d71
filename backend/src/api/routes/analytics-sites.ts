import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { dateRangeFromQuery } from '../../query/analytics/funnels-date-range.ts';
import { droppedEvents } from '../../query/analytics/dropped-events.ts';
import { getSite, updateSite, type Site, type SiteUpdate } from '../../store/sites.ts';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import { bearerAuth, errorResponses, textParameter } from '../schemas.ts';
import { dateRangeQueryParameter, noQueryParameters, ownSite, siteDateRange, siteParameter } from './analytics-sites-param.ts';

// A site's settings: read with the read scope, changed with admin (a key of
// that site; admin does not imply read). And the drop counts of the privacy
// pipeline, which tell a site owner what never reached the numbers.

export interface AnalyticsSiteRoutesOptions {
  db: Kysely<Database>;
}

const siteIdParameter = textParameter({ maxLength: 20, pattern: '^[0-9]{1,20}$', description: "the site ID: the key's own" });
const MAX_LIST = 1000;

const siteSchema = {
  type: 'object',
  required: ['id', 'name', 'domains', 'timezone', 'excludedIps', 'excludedCountries', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    domains: { type: 'array', items: { type: 'string' }, description: 'hostnames (and their subdomains) whose pages may send events; empty allows any' },
    timezone: { type: 'string', description: 'IANA time zone of the analytics' },
    excludedIps: { type: 'array', items: { type: 'string' }, description: 'addresses and CIDRs whose events are dropped' },
    excludedCountries: { type: 'array', items: { type: 'string' }, description: 'ISO 3166-1 alpha-2 codes whose events are dropped' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

function siteJson(site: Site): Record<string, unknown> {
  return { ...site, createdAt: site.createdAt.toISOString() };
}

const stringList = (maxLength: number) => ({ type: 'array', maxItems: MAX_LIST, items: textParameter({ maxLength }) }) as const;

/** GET /sites/{id} and GET /analytics/dropped (read scope). */
export const analyticsSiteReadRoutes: FastifyPluginAsync<AnalyticsSiteRoutesOptions> = async (app, { db }) => {
  app.get<{ Params: { id: string } }>(
    '/sites/:id',
    {
      schema: {
        summary: "The key's site and its settings",
        tags: ['sites'],
        security: bearerAuth,
        params: { type: 'object', required: ['id'], properties: { id: siteIdParameter } },
        querystring: noQueryParameters,
        response: { 200: siteSchema, ...errorResponses },
      },
    },
    async (request) => {
      const site = await getSite(db, ownSite(request, request.params.id));
      if (site === null) throw new NotFoundError(`site ${request.params.id} not found`);
      return siteJson(site);
    },
  );

  app.get<{ Querystring: { site?: string; date_range?: string } }>(
    '/analytics/dropped',
    {
      schema: {
        summary: 'Events dropped before storage, per reason',
        description:
          'bot, dnt, gpc, prefetch, excluded_ip, excluded_country, referrer_spam: events the privacy pipeline refused. ' +
          "Counts are kept per UTC day, so the range's days are taken as UTC days.",
        tags: ['analytics'],
        security: bearerAuth,
        querystring: { type: 'object', properties: { site: siteParameter, date_range: dateRangeQueryParameter }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            required: ['dropped'],
            properties: {
              dropped: {
                type: 'array',
                items: { type: 'object', required: ['reason', 'count'], properties: { reason: { type: 'string' }, count: { type: 'integer' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const siteId = ownSite(request, request.query.site);
      const range = await siteDateRange(db, siteId, request.query.date_range === undefined ? undefined : dateRangeFromQuery(request.query.date_range));
      return { dropped: await droppedEvents(db, siteId, range.firstDay, range.lastDay) };
    },
  );
};

interface PatchBody {
  name?: string;
  domains?: string[];
  timezone?: string;
  excludedIps?: string[];
  excludedCountries?: string[];
}

/** PATCH /sites/{id} (admin scope); `db` must be a pool that may write. */
export const analyticsSiteAdminRoutes: FastifyPluginAsync<AnalyticsSiteRoutesOptions> = async (app, { db }) => {
  app.patch<{ Params: { id: string }; Body: PatchBody }>(
    '/sites/:id',
    {
      schema: {
        summary: "Change the key's site's settings (admin scope)",
        description: 'Fields left out stay as they are; a list replaces the stored list. Values are stored as typed (trimmed; hostnames lower case, countries upper case).',
        tags: ['sites'],
        security: bearerAuth,
        params: { type: 'object', required: ['id'], properties: { id: siteIdParameter } },
        querystring: noQueryParameters,
        body: {
          type: 'object',
          properties: {
            name: textParameter({ minLength: 1, maxLength: 256 }),
            domains: stringList(253),
            timezone: textParameter({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin' }),
            excludedIps: stringList(64),
            excludedCountries: stringList(8),
          },
          additionalProperties: false,
        },
        response: { 200: siteSchema, ...errorResponses },
      },
    },
    async (request) => {
      const siteId = ownSite(request, request.params.id);
      const update: SiteUpdate = {};
      const body = request.body;
      if (body.name !== undefined) update.name = body.name;
      if (body.domains !== undefined) update.domains = body.domains;
      if (body.timezone !== undefined) update.timezone = body.timezone;
      if (body.excludedIps !== undefined) update.excludedIps = body.excludedIps;
      if (body.excludedCountries !== undefined) update.excludedCountries = body.excludedCountries;
      let site: Site | null;
      try {
        site = await updateSite(db, siteId, update);
      } catch (error) {
        if (error instanceof RangeError) throw new InvalidArgumentError(error.message);
        throw error;
      }
      if (site === null) throw new NotFoundError(`site ${siteId} not found`);
      return siteJson(site);
    },
  );
};
