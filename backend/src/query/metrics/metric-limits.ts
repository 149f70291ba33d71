// The bounds of one metrics query, so that no request can make PostgreSQL
// plan or run, or Node hold, a query of unbounded size. The API's range limit
// and its connections' statement_timeout bound the rest.

/** Series one query may select (after its filters). */
export const MAX_METRIC_SERIES = 10_000;
/** Steps of one query: (end - start) / step. */
export const MAX_METRIC_STEPS = 11_000;
/** Points one answer may hold: groups × steps. */
export const MAX_METRIC_POINTS = 1_000_000;
/** Rows per (series, step) a histogram query may bring to Node: selected series × steps. */
export const MAX_METRIC_SERIES_STEPS = 2_000_000;
/** Filters of one query. */
export const MAX_METRIC_FILTERS = 20;
/** Keys one query may group by. */
export const MAX_METRIC_GROUP_BY = 10;
/** Values of one `in` filter. */
export const MAX_METRIC_FILTER_VALUES = 100;
/** Metrics the catalog lists. */
export const MAX_METRICS_LISTED = 2_000;
/** Attribute keys the catalog lists per metric, of points and of resources each. */
export const MAX_ATTRIBUTE_KEYS_LISTED = 200;
/** Values the attribute-values list returns. */
export const MAX_ATTRIBUTE_VALUES_LISTED = 1_000;
/** Exemplars one query answer carries, over all its series. */
export const MAX_EXEMPLARS = 1_000;
/**
 * How far before a query's start counters and cumulative histograms are read
 * (at least one step): the point before a step is what its first delta is
 * taken from.
 */
export const COUNTER_LOOKBACK_MS = 10 * 60 * 1000;
