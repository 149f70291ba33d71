import type { SpanRow } from '@justanalytics/collector';
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
  'resource',
  'resource_schema_url',
  'scope',
  'scope_schema_url',
] as const;

/** The statement the rows of spanCopyLine feed, in text format. */
export const copySpansSql = `COPY spans (${spanColumns.join(', ')}) FROM STDIN`;

/**
 * One span as a line of COPY text, in the order of copySpansSql's columns.
 * `siteId` is the batch's, not the row's. The decoder shares one resource and
 * one scope object among the spans they cover; `shared` remembers their text
 * so each is serialised once per flush.
 */
export function spanCopyLine(siteId: string, row: SpanRow, shared: Map<object, string> = new Map()): string {
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
      sharedJson(row.resource, shared),
      copyText(row.resourceSchemaUrl),
      sharedJson(row.scope, shared),
      copyText(row.scopeSchemaUrl),
    ].join('\t') + '\n'
  );
}

function sharedJson(value: object, shared: Map<object, string>): string {
  let text = shared.get(value);
  if (text === undefined) {
    text = copyJson(value);
    shared.set(value, text);
  }
  return text;
}

/** COPY text for many writes' spans in chunks of about `chunkChars`, so a large flush is never one huge string. */
export function* spanCopyChunks(writes: readonly SiteSpans[], chunkChars = 256 * 1024): Generator<string> {
  let chunk = '';
  const shared = new Map<object, string>();
  for (const { siteId, spans } of writes) {
    for (const { row } of spans) {
      chunk += spanCopyLine(siteId, row, shared);
      if (chunk.length >= chunkChars) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk !== '') yield chunk;
}
