import type { Kysely } from 'kysely';
import type { KeyValueJson, ResourceJson, ScopeJson, SpanEventJson, SpanLinkJson } from '@justanalytics/collector';
import type { Database } from '../db/database.ts';
import { addDays } from './time-range.ts';
import { toHex, traceIdFromHex } from './trace-id.ts';

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

/**
 * Every span of one trace of one site, as OTLP/JSON, or null when the site has
 * no span of that trace. Spans stored twice (an exporter retrying an export
 * that was in fact committed) come out once.
 */
export async function getTrace(db: Kysely<Database>, siteId: string, traceIdHex: string): Promise<TracesDataJson | null> {
  const traceId = traceIdFromHex(traceIdHex);
  if (traceId === null) return null;

  // The summary rows say which days hold the trace's spans, so only those
  // partitions are read. Without a summary (should not happen: it is written
  // with the spans) every partition is searched rather than miss the trace.
  const days = await db
    .selectFrom('trace_summaries')
    .where('site_id', '=', siteId)
    .where('trace_id', '=', traceId)
    .select((eb) => [eb.fn.min<Date | null>('day').as('first'), eb.fn.max<Date | null>('day').as('last')])
    .executeTakeFirst();

  let query = db
    .selectFrom('spans')
    .where('site_id', '=', siteId)
    .where('trace_id', '=', traceId)
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
      'resource',
      'resource_schema_url',
      'scope',
      'scope_schema_url',
    ])
    .orderBy('span_id');
  if (days?.first && days.last) {
    // A day of slack either side covers spans whose summary row is on a
    // neighbouring day because of clock skew between their services.
    query = query.where('start_time', '>=', addDays(days.first, -1)).where('start_time', '<', addDays(days.last, 2));
  }
  const rows = await query.execute();
  if (rows.length === 0) return null;

  rows.sort((a, b) => compareNanos(a.start_time_unix_nano, b.start_time_unix_nano) || Buffer.compare(a.span_id, b.span_id));

  const resources = new Map<string, { resourceSpans: ResourceSpansJson; scopes: Map<string, ScopeSpansJson> }>();
  const hexTraceId = toHex(traceId);
  for (const row of rows) {
    // jsonb keeps objects in a canonical key order, so equal values stringify equally.
    const resourceKey = `${row.resource_schema_url}\n${JSON.stringify(row.resource)}`;
    let resource = resources.get(resourceKey);
    if (resource === undefined) {
      resource = {
        resourceSpans: { resource: resourceJson(row.resource), schemaUrl: row.resource_schema_url, scopeSpans: [] },
        scopes: new Map(),
      };
      resources.set(resourceKey, resource);
    }
    const scopeKey = `${row.scope_schema_url}\n${JSON.stringify(row.scope)}`;
    let scope = resource.scopes.get(scopeKey);
    if (scope === undefined) {
      scope = { scope: scopeJson(row.scope), schemaUrl: row.scope_schema_url, spans: [] };
      resource.scopes.set(scopeKey, scope);
      resource.resourceSpans.scopeSpans.push(scope);
    }

    const span: SpanJson = {
      traceId: hexTraceId,
      spanId: toHex(row.span_id),
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
    if (row.parent_span_id !== null && row.parent_span_id.length > 0) span.parentSpanId = toHex(row.parent_span_id);
    scope.spans.push(span);
  }
  return { resourceSpans: [...resources.values()].map((r) => r.resourceSpans) };
}

/** Orders two int8 decimal strings exactly (they exceed 2^53). */
function compareNanos(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function resourceJson(resource: ResourceJson): ResourceJson {
  return { attributes: resource.attributes ?? [], droppedAttributesCount: resource.droppedAttributesCount ?? 0 };
}

function scopeJson(scope: ScopeJson): ScopeJson {
  return {
    name: scope.name ?? '',
    version: scope.version ?? '',
    attributes: scope.attributes ?? [],
    droppedAttributesCount: scope.droppedAttributesCount ?? 0,
  };
}
