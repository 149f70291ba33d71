import { sanitizeString } from '@justanalytics/collector';
import type { SiteSpans } from './span-admission.ts';
import { nanosToTimestamp } from './copy-text.ts';

/** What one flush adds to the summary of one trace on one UTC day. */
export interface TraceSummaryDelta {
  siteId: string;
  traceId: Buffer;
  day: number;
  startNanos: bigint;
  endNanos: bigint;
  spanCount: number;
  errorCount: number;
  /** Set when a span without parent (the root) is among the spans. */
  root: { serviceName: string; spanName: string; startNanos: bigint } | null;
}

const statusError = 2;
const dayMs = 86_400_000;

/**
 * Folds spans into one delta per (site, trace, day), sorted by that key so
 * that concurrent upserts lock summary rows in the same order. A trace that
 * crosses midnight gets one delta per day; readers merge them.
 */
export function summariseSpans(writes: readonly SiteSpans[]): TraceSummaryDelta[] {
  const byKey = new Map<string, TraceSummaryDelta>();
  for (const { siteId, spans } of writes) {
    for (const { row, day } of spans) {
      const key = `${siteId}/${row.traceId.toString('hex')}/${day}`;
      let delta = byKey.get(key);
      if (delta === undefined) {
        delta = { siteId, traceId: row.traceId, day, startNanos: row.startTimeUnixNano, endNanos: row.endTimeUnixNano, spanCount: 0, errorCount: 0, root: null };
        byKey.set(key, delta);
      }
      if (row.startTimeUnixNano < delta.startNanos) delta.startNanos = row.startTimeUnixNano;
      if (row.endTimeUnixNano > delta.endNanos) delta.endNanos = row.endTimeUnixNano;
      delta.spanCount++;
      if (row.statusCode === statusError) delta.errorCount++;
      // Several parentless spans: the earliest one is the root.
      if (row.parentSpanId === null && (delta.root === null || row.startTimeUnixNano < delta.root.startNanos)) {
        delta.root = { serviceName: row.serviceName, spanName: row.name, startNanos: row.startTimeUnixNano };
      }
    }
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, delta]) => delta);
}

/**
 * One statement for all deltas of a flush: the arrays are unnested into rows
 * and merged into existing summaries. The first root seen for a trace and day
 * stays, so trace lists do not change under a reader's feet.
 */
const upsertSql = `
INSERT INTO trace_summaries AS s
  (site_id, trace_id, day, start_time, start_time_unix_nano, end_time_unix_nano, span_count, error_count, root_service_name, root_span_name)
SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::text[])
ON CONFLICT (site_id, trace_id, day) DO UPDATE SET
  start_time = LEAST(s.start_time, EXCLUDED.start_time),
  start_time_unix_nano = LEAST(s.start_time_unix_nano, EXCLUDED.start_time_unix_nano),
  end_time_unix_nano = GREATEST(s.end_time_unix_nano, EXCLUDED.end_time_unix_nano),
  span_count = s.span_count + EXCLUDED.span_count,
  error_count = s.error_count + EXCLUDED.error_count,
  root_service_name = CASE WHEN s.root_span_name IS NULL THEN EXCLUDED.root_service_name ELSE s.root_service_name END,
  root_span_name = COALESCE(s.root_span_name, EXCLUDED.root_span_name)`;

export interface ParameterisedQuery {
  text: string;
  values: unknown[];
}

/** The upsert of a flush's deltas; bigints go in as decimal strings. */
export function upsertTraceSummariesQuery(deltas: readonly TraceSummaryDelta[]): ParameterisedQuery {
  const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
  const [siteIds, traceIds, days, startTimes, startNanos, endNanos, spanCounts, errorCounts, rootServices, rootNames] = columns as [
    string[],
    Buffer[],
    string[],
    string[],
    string[],
    string[],
    string[],
    string[],
    Array<string | null>,
    Array<string | null>,
  ];
  for (const delta of deltas) {
    siteIds.push(delta.siteId);
    traceIds.push(delta.traceId);
    days.push(new Date(delta.day * dayMs).toISOString());
    startTimes.push(nanosToTimestamp(delta.startNanos));
    startNanos.push(delta.startNanos.toString());
    endNanos.push(delta.endNanos.toString());
    spanCounts.push(String(delta.spanCount));
    errorCounts.push(String(delta.errorCount));
    rootServices.push(delta.root === null ? null : sanitizeString(delta.root.serviceName));
    rootNames.push(delta.root === null ? null : sanitizeString(delta.root.spanName));
  }
  return { text: upsertSql, values: columns };
}
