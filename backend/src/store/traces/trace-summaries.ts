import type { SpanRow } from '@justanalytics/collector';
import { traceSummaryColumns, type TraceSummaryDelta } from '../../db/tables/trace-summaries.ts';
import { unnestInsert, unnestParams } from '../../db/tables/columns.ts';
import type { SiteRows } from '../signal-writer.ts';
import type { ParameterisedQuery } from '../parameterised-query.ts';
import { MAX_ATTRIBUTE_HASHES, NOT_INDEXED_HASH, TraceAttributeHashes } from './trace-attribute-hashes.ts';

export type { TraceSummaryDelta };

const statusError = 2;

/**
 * Folds spans into one delta per (site, trace, day), sorted by that key so
 * that concurrent upserts lock summary rows in the same order. A trace that
 * crosses midnight gets one delta per day; readers merge them.
 */
export function summariseSpans(writes: readonly SiteRows<SpanRow>[]): TraceSummaryDelta[] {
  const byKey = new Map<string, { delta: Omit<TraceSummaryDelta, 'attributeHashes'>; hashes: TraceAttributeHashes }>();
  for (const { siteId, rows } of writes) {
    for (const { row, day } of rows) {
      const key = `${siteId}/${row.traceId.toString('hex')}/${day}`;
      let entry = byKey.get(key);
      if (entry === undefined) {
        entry = {
          delta: { siteId, traceId: row.traceId, day, startNanos: row.startTimeUnixNano, endNanos: row.endTimeUnixNano, spanCount: 0, errorCount: 0, root: null },
          hashes: new TraceAttributeHashes(),
        };
        byKey.set(key, entry);
      }
      const { delta } = entry;
      entry.hashes.addSpan(row.attributes, row.resource, row.serviceName);
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
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { delta, hashes }]) => ({ ...delta, attributeHashes: hashes.toArrayLiteral() }));
}

/**
 * One statement for all deltas of a flush: the arrays are unnested into rows
 * and merged into existing summaries. The first root seen for a trace and day
 * stays, so trace lists do not change under a reader's feet.
 */
const upsertSql = `${unnestInsert('trace_summaries', traceSummaryColumns, 's')}
ON CONFLICT (site_id, trace_id, day) DO UPDATE SET
  start_time = LEAST(s.start_time, EXCLUDED.start_time),
  start_time_unix_nano = LEAST(s.start_time_unix_nano, EXCLUDED.start_time_unix_nano),
  end_time_unix_nano = GREATEST(s.end_time_unix_nano, EXCLUDED.end_time_unix_nano),
  span_count = s.span_count + EXCLUDED.span_count,
  error_count = s.error_count + EXCLUDED.error_count,
  root_service_name = CASE WHEN s.root_span_name IS NULL THEN EXCLUDED.root_service_name ELSE s.root_service_name END,
  root_span_name = COALESCE(s.root_span_name, EXCLUDED.root_span_name),
  attribute_hashes = ${mergeAttributeHashes('s.attribute_hashes', 'EXCLUDED.attribute_hashes')}`;

/**
 * The union of two rows' attribute hashes, or {0} (not indexed) when either
 * is not indexed or the union is over the cap. Skips the unnest when the new
 * hashes are all there already (a trace's later spans repeat its pairs).
 */
function mergeAttributeHashes(stored: string, added: string): string {
  return `CASE WHEN ${stored} @> ${added} THEN ${stored} ELSE (
    SELECT CASE WHEN bool_or(h = ${NOT_INDEXED_HASH}) OR count(DISTINCT h) > ${MAX_ATTRIBUTE_HASHES} THEN '{${NOT_INDEXED_HASH}}'::bigint[]
                ELSE array_agg(DISTINCT h) END
    FROM unnest(${stored} || ${added}) AS h) END`;
}

/** The upsert of a flush's deltas; bigints go in as decimal strings. */
export function upsertTraceSummariesQuery(deltas: readonly TraceSummaryDelta[]): ParameterisedQuery {
  return { text: upsertSql, values: unnestParams(traceSummaryColumns, deltas) };
}
