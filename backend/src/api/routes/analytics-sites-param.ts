import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { InvalidDateRangeError, namedDateRanges, type DateRangeInput } from '../../query/analytics/analytics-range.ts';
import { resolveSiteDateRange, type SiteDateRange } from '../../query/analytics/funnels-date-range.ts';
import { siteOf } from '../auth.ts';
import { InvalidArgumentError, NotFoundError } from '../errors.ts';
import { textParameter } from '../schemas.ts';

// What the analytics view routes share: the optional `site` a request may
// name (only its key's own), and the date_range read in the site's time zone.

export const siteParameter = textParameter({ maxLength: 20, pattern: '^[0-9]{1,20}$', description: "the key's site ID (may be left out)" });

/** date_range in a JSON body: a period, or [first day, last day]. */
export const dateRangeBodySchema = {
  anyOf: [
    { type: 'string', enum: namedDateRanges },
    { type: 'array', minItems: 2, maxItems: 2, items: textParameter({ maxLength: 40 }) },
  ],
  description: "day, 7d, 30d, month, 6mo, 12mo, all, or [first day, last day] (YYYY-MM-DD, both included) or [start, end) as ISO datetimes with offsets, in the site's time zone; default 30d",
} as const;

/** date_range in a query string: a period, or "first,last". */
export const dateRangeQueryParameter = textParameter({
  maxLength: 81,
  description: "day, 7d, 30d, month, 6mo, 12mo, all, or start,end (YYYY-MM-DD,YYYY-MM-DD both included, or ISO datetimes with offsets), in the site's time zone; default 30d",
});

export const DEFAULT_DATE_RANGE = '30d';

/**
 * The query string of a route that takes none: refused when given, so no
 * parameter (of any count or content) is ignored unchecked.
 */
export const noQueryParameters = { type: 'object', properties: {}, additionalProperties: false } as const;

/** The key's site; a request naming another site gets 404, as for another site's trace. */
export function ownSite(request: FastifyRequest, given: string | undefined): string {
  const siteId = siteOf(request);
  if (given !== undefined && given !== siteId) throw new NotFoundError(`site ${given} not found`);
  return siteId;
}

/** The date range's instants in the site's time zone; a malformed range is a 400. */
export async function siteDateRange(db: Kysely<Database>, siteId: string, input: DateRangeInput | undefined): Promise<SiteDateRange> {
  try {
    const range = await resolveSiteDateRange(db, siteId, input ?? DEFAULT_DATE_RANGE);
    if (range === null) throw new NotFoundError(`site ${siteId} not found`);
    return range;
  } catch (error) {
    if (error instanceof InvalidDateRangeError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}
