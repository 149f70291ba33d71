import type { SpanRow } from '@justanalytics/collector';
import type { ResourceScopeIds } from './resource-scopes.ts';
import type { SiteSpans } from './span-admission.ts';
import { copyBytea, copyJson, copyNull, copyNullableBytea, copyNullableText, copyText, nanosToTimestamp } from './copy-text.ts';

const spanColumns = [
  'site_id',
  'trace_id',
  'span_id',
  'parent_span_id',
  'trace_state',
  'flags',
  'name',
  'kind',
  'start_time',
  'start_time_unix_nano',
  'end_time_unix_nano',
  'duration_ns',
  'service_name',
  'status_code',
  'status_message',
  'http_route',
  'http_status_code',
  'attributes',
  'dropped_attributes_count',
  'events',
  'dropped_events_count',
  'links',
  'dropped_links_count',
  'resource_scope_id',
] as const;

/** The statement the rows of spanCopyLine feed, in text format. */
export const copySpansSql = `COPY spans (${spanColumns.join(', ')}) FROM STDIN`;

/**
 * One span as a line of COPY text, in the order of copySpansSql's columns.
 * `siteId` is the batch's, not the row's; `resourceScopeId` is the id of the
 * row's resource and scope in resource_scopes.
 */
export function spanCopyLine(siteId: string, row: SpanRow, resourceScopeId: Buffer): string {
  return (
    [
      siteId,
      copyBytea(row.traceId),
      copyBytea(row.spanId),
      copyNullableBytea(row.parentSpanId),
      copyText(row.traceState),
      String(row.flags),
      copyText(row.name),
      String(row.kind),
      nanosToTimestamp(row.startTimeUnixNano),
      row.startTimeUnixNano.toString(),
      row.endTimeUnixNano.toString(),
      (row.endTimeUnixNano - row.startTimeUnixNano).toString(),
      copyText(row.serviceName),
      String(row.statusCode),
      copyText(row.statusMessage),
      copyNullableText(row.httpRoute),
      row.httpStatusCode === null ? copyNull : String(row.httpStatusCode),
      copyJson(row.attributes),
      String(row.droppedAttributesCount),
      copyJson(row.events),
      String(row.droppedEventsCount),
      copyJson(row.links),
      String(row.droppedLinksCount),
      copyBytea(resourceScopeId),
    ].join('\t') + '\n'
  );
}

/**
 * COPY text for many writes' spans in chunks of about `chunkChars`, so a large
 * flush is never one huge string. `ids` gives each row's resource_scopes id.
 */
export function* spanCopyChunks(writes: readonly SiteSpans[], ids: ResourceScopeIds, chunkChars = 256 * 1024): Generator<string> {
  let chunk = '';
  for (const { siteId, spans } of writes) {
    for (const { row } of spans) {
      chunk += spanCopyLine(siteId, row, ids.of(row).id);
      if (chunk.length >= chunkChars) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk !== '') yield chunk;
}
