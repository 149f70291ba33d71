// The metrics, defined once. Both paths (rollups and raw rows) reduce a group
// to the same counts; every metric is then derived from counts here.
//
// What a group counts depends on what the query reads (analytics contract):
// - the whole site (no dimension but time, no filter): visitors = distinct
//   visitors of the range's events; pageviews and events (engagement left out)
//   from events in the range; visits, bounces and duration from visits STARTED
//   in the range;
// - visit dimensions or filters: visits started in the range that match, and
//   their visitors; pageviews and events are those visits' counts (a visit's
//   `events` counts every event of it, pageviews and engagement included);
// - event dimensions or filters: the matching events in the range; visits =
//   distinct visits having such an event; bounces and duration are not defined.

export const analyticsMetrics = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'events',
  'conversion_rate',
] as const;
export type AnalyticsMetric = (typeof analyticsMetrics)[number];

/** What one group (one row of the answer) counts. */
export interface GroupCounts {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  bounces: number;
  durationMs: number;
}

export const emptyCounts = (): GroupCounts => ({ visitors: 0, visits: 0, pageviews: 0, events: 0, bounces: 0, durationMs: 0 });

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/**
 * One metric of a group. Rounded as Plausible rounds: views_per_visit and
 * conversion_rate to 2 decimals, bounce_rate to a whole percent,
 * visit_duration to whole seconds; 0 when there are no visits (or visitors).
 * `baseVisitors` is the visitors of the same group without the goal (for
 * conversion_rate).
 */
export function metricValue(metric: AnalyticsMetric, counts: GroupCounts, baseVisitors: number): number {
  switch (metric) {
    case 'visitors':
      return counts.visitors;
    case 'visits':
      return counts.visits;
    case 'pageviews':
      return counts.pageviews;
    case 'events':
      return counts.events;
    case 'views_per_visit':
      return counts.visits === 0 ? 0 : round(counts.pageviews / counts.visits, 2);
    case 'bounce_rate':
      return counts.visits === 0 ? 0 : Math.round((counts.bounces / counts.visits) * 100);
    case 'visit_duration':
      return counts.visits === 0 ? 0 : Math.round(counts.durationMs / counts.visits / 1000);
    case 'conversion_rate':
      return baseVisitors === 0 ? 0 : round((counts.visitors / baseVisitors) * 100, 2);
  }
}
