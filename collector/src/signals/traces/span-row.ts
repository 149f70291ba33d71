import type { KeyValueJson, ResourceJson, ScopeJson, SpanEventJson, SpanLinkJson } from '../../model/otlp-json.ts';

/**
 * One span as the collector hands it to a sink: the only span type in the
 * project. Times are bigint nanoseconds since the epoch, because OTLP times
 * exceed 2^53 and must survive the round trip exactly.
 */
export interface SpanRow {
  siteId: string;
  traceId: Buffer; // 16 bytes, never all zeros
  spanId: Buffer; // 8 bytes, never all zeros
  parentSpanId: Buffer | null; // null for a root span
  traceState: string;
  flags: number; // W3C trace flags in the low byte; uint32
  name: string;
  kind: number; // SpanKind enum value
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  statusCode: number; // 0 unset, 1 ok, 2 error
  statusMessage: string;
  // Promoted from attributes because every query filters or groups on them.
  serviceName: string;
  httpRoute: string | null;
  httpStatusCode: number | null;
  attributes: KeyValueJson[];
  droppedAttributesCount: number;
  events: SpanEventJson[];
  droppedEventsCount: number;
  links: SpanLinkJson[];
  droppedLinksCount: number;
  resource: ResourceJson;
  resourceSchemaUrl: string;
  scope: ScopeJson;
  scopeSchemaUrl: string;
}
