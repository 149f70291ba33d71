// The bounds of what one query API request may ask for, so that no request can
// make PostgreSQL plan or run a query of unbounded size. The statement timeout
// and work_mem of the API's connections (db/connect.ts) bound the rest.

export interface ApiLimits {
  /** Most spans GET /traces/{traceId} returns: the default and the largest `limit`. */
  maxTraceSpans: number;
  /**
   * Longest [start, end), in hours, of a search that reads raw signal rows
   * (stored spans or log records) rather than trace summaries: a trace search
   * by service, operation, attr.* or status ok/unset, the service and
   * operation lists, and every log search. (The name predates logs; it is the
   * JUSTANALYTICS_API_MAX_SPAN_SEARCH_HOURS setting.)
   */
  maxSpanSearchHours: number;
  /** Most log records GET /traces/{traceId}/logs returns: the default and the largest `limit`. */
  maxTraceLogs: number;
  /** Longest [start, end), in hours, of GET /service-map: it joins the range's client and server spans at query time. */
  maxServiceMapHours: number;
}

export const API_LIMIT_DEFAULTS: ApiLimits = {
  maxTraceSpans: 10_000,
  // Tempo's default search max_duration.
  maxSpanSearchHours: 168,
  maxTraceLogs: 10_000,
  // Joined live, 24 h of 800k spans took 3.7 s (320k spans in one hour: 1.5 s); read from the edge rollup, 0.12 s.
  maxServiceMapHours: 24,
};

/** attr.* filters of one trace or log search: each adds up to six jsonb tests for every row the search reads. */
export const MAX_ATTRIBUTE_FILTERS = 20;
/** The KEY of attr.KEY=VALUE. */
export const MAX_ATTRIBUTE_KEY_LENGTH = 256;
/** Longest range of the RED answers (service and operation lists, time series): they read rollups, not spans. */
export const MAX_RED_RANGE_HOURS = 31 * 24;
/** A service, operation or attribute value named in a filter or a path. */
export const MAX_TEXT_LENGTH = 1024;

/** The limits with defaults filled in, checked once when the server is built. */
export function apiLimits(given: Partial<ApiLimits> = {}): ApiLimits {
  const limits = { ...API_LIMIT_DEFAULTS };
  for (const name of Object.keys(API_LIMIT_DEFAULTS) as Array<keyof ApiLimits>) {
    const value = given[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`the API limit ${name} must be a positive integer, got ${value}`);
    limits[name] = value;
  }
  return limits;
}
