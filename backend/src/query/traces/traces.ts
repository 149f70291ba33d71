import { sql, type Kysely } from 'kysely';
import { bytesToHex, traceIdFromHex } from '@justanalytics/collector/model';
import type { KeyValueJson, ResourceJson, ScopeJson, SpanEventJson, SpanLinkJson } from '@justanalytics/collector/model';
import type { Database } from '../../db/database.ts';
import { groupByResourceScope, resourceScopeGroups } from '../resource-scope-groups.ts';
import { addDays } from '../time-range.ts';

// The OTLP/JSON `TracesData` message, as the API returns a whole trace.

export interface SpanJson {
  traceId: string;
  spanId: string;
  traceState: string;
  /** Absent on root spans, as proto3 JSON omits empty fields. */
  parentSpanId?: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValueJson[];
  droppedAttributesCount: number;
  events: SpanEventJson[];
  droppedEventsCount: number;
  links: SpanLinkJson[];
  droppedLinksCount: number;
  status: { code: number; message: string };
}

export interface ScopeSpansJson {
  scope: ScopeJson;
  schemaUrl: string;
  spans: SpanJson[];
}

export interface ResourceSpansJson {
  resource: ResourceJson;
  schemaUrl: string;
  scopeSpans: ScopeSpansJson[];
}

export interface TracesDataJson {
  resourceSpans: ResourceSpansJson[];
}

/** A trace as the API returns it, and whether it was cut. */
export interface TraceView {
  trace: TracesDataJson;
  /** Distinct spans stored for the trace. */
  spanCount: number;
  /** Spans in `trace`: all of them, or the earliest `limit` when spanCount is larger. */
  returnedSpanCount: number;
}

export interface GetTraceOptions {
  /** Most spans returned, the earliest by start time. Default DEFAULT_TRACE_SPAN_LIMIT. */
  limit?: number;
}

export const DEFAULT_TRACE_SPAN_LIMIT = 10_000;

/**
 * The spans of one trace of one site, as OTLP/JSON, or null when the site has
 * no span of that trace: all of them, or the earliest `limit` by start time.
 * Spans stored twice (an exporter retrying an export that was in fact
 * committed) come out once, and count once.
 */
export async function getTrace(
  db: Kysely<Database>,
  siteId: string,
  traceIdHex: string,
  options: GetTraceOptions = {},
): Promise<TraceView | null> {
  const traceId = traceIdFromHex(traceIdHex);
  if (traceId === null) return null;
  const limit = options.limit ?? DEFAULT_TRACE_SPAN_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);

  // The summary rows say which days hold the trace's spans, so only those
  // partitions are read. Without a summary (should not happen: it is written
  // with the spans) every partition is searched rather than miss the trace.
  const days = await db
    .selectFrom('trace_summaries')
    .where('site_id', '=', siteId)
    .where('trace_id', '=', traceId)
    .select((eb) => [eb.fn.min<Date | null>('day').as('first'), eb.fn.max<Date | null>('day').as('last')])
    .executeTakeFirst();

  // A day of slack either side covers spans whose summary row is on a
  // neighbouring day because of clock skew between their services.
  const range = days?.first && days.last ? { from: addDays(days.first, -1), to: addDays(days.last, 2) } : null;

  // Which spans, and how many in all, from their IDs and start times only: a
  // trace of millions of spans costs a sort of narrow rows, and only the spans
  // returned are read whole.
  const picked = await db
    .selectFrom((eb) => {
      let ids = eb
        .selectFrom('spans')
        .where('site_id', '=', siteId)
        .where('trace_id', '=', traceId)
        .distinctOn('span_id')
        .select(['span_id', 'start_time_unix_nano'])
        .orderBy('span_id');
      if (range !== null) ids = ids.where('start_time', '>=', range.from).where('start_time', '<', range.to);
      return ids.as('d');
    })
    .select((eb) => ['d.span_id', eb.fn.countAll<string>().over().as('total')])
    .orderBy('d.start_time_unix_nano')
    .orderBy('d.span_id')
    .limit(limit)
    .execute();
  const first = picked[0];
  if (first === undefined) return null;
  const spanCount = Number(first.total);

  let query = db
    .selectFrom('spans')
    .where('site_id', '=', siteId)
    .where('trace_id', '=', traceId)
    .where(sql<boolean>`span_id = any(${picked.map((row) => row.span_id)}::bytea[])`)
    .distinctOn('span_id')
    .select([
      'span_id',
      'parent_span_id',
      'trace_state',
      'flags',
      'name',
      'kind',
      'start_time_unix_nano',
      'end_time_unix_nano',
      'status_code',
      'status_message',
      'attributes',
      'dropped_attributes_count',
      'events',
      'dropped_events_count',
      'links',
      'dropped_links_count',
      'resource_scope_id',
    ])
    .orderBy('span_id');
  if (range !== null) query = query.where('start_time', '>=', range.from).where('start_time', '<', range.to);
  const rows = await query.execute();
  if (rows.length === 0) return null;
  const groups = await resourceScopeGroups(db, siteId, rows.map((row) => row.resource_scope_id), range);

  rows.sort((a, b) => compareNanos(a.start_time_unix_nano, b.start_time_unix_nano) || Buffer.compare(a.span_id, b.span_id));

  const hexTraceId = bytesToHex(traceId);
  const resourceSpans: ResourceSpansJson[] = groupByResourceScope(rows, (row) => row.resource_scope_id, groups).map((resource) => ({
    resource: resource.resource,
    schemaUrl: resource.schemaUrl,
    scopeSpans: resource.scopes.map((scope) => ({ scope: scope.scope, schemaUrl: scope.schemaUrl, spans: scope.items.map((row) => spanJson(hexTraceId, row)) })),
  }));
  return { trace: { resourceSpans }, spanCount, returnedSpanCount: rows.length };
}

interface StoredSpan {
  span_id: Buffer;
  parent_span_id: Buffer | null;
  trace_state: string;
  flags: string;
  name: string;
  kind: number;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  status_code: number;
  status_message: string;
  attributes: KeyValueJson[];
  dropped_attributes_count: string;
  events: SpanEventJson[];
  dropped_events_count: string;
  links: SpanLinkJson[];
  dropped_links_count: string;
}

function spanJson(hexTraceId: string, row: StoredSpan): SpanJson {
  const span: SpanJson = {
    traceId: hexTraceId,
    spanId: bytesToHex(row.span_id),
    traceState: row.trace_state,
    flags: Number(row.flags), // fixed32: a JSON number
    name: row.name,
    kind: row.kind,
    startTimeUnixNano: row.start_time_unix_nano,
    endTimeUnixNano: row.end_time_unix_nano,
    attributes: row.attributes,
    droppedAttributesCount: Number(row.dropped_attributes_count), // uint32
    events: row.events,
    droppedEventsCount: Number(row.dropped_events_count),
    links: row.links,
    droppedLinksCount: Number(row.dropped_links_count),
    status: { code: row.status_code, message: row.status_message },
  };
  if (row.parent_span_id !== null && row.parent_span_id.length > 0) span.parentSpanId = bytesToHex(row.parent_span_id);
  return span;
}

/** Orders two int8 decimal strings exactly (they exceed 2^53). */
function compareNanos(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
