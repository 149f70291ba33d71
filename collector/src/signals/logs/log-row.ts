import type { AnyValueJson, KeyValueJson, ResourceJson, ScopeJson } from '../../model/otlp-json.ts';

/**
 * The exception a log record reports in its `exception.*` attributes
 * (semantic conventions), read once while decoding so that the stage turning
 * such records into error occurrences need not search the attributes again.
 * Each member is the attribute's string value, or null when it is absent or
 * not a string.
 */
export interface LogException {
  type: string | null;
  message: string | null;
  stacktrace: string | null;
}

/**
 * One log record as the collector hands it to a sink: the only log type in
 * the project. Times are bigint nanoseconds since the epoch, because OTLP
 * times exceed 2^53 and must survive the round trip exactly.
 */
export interface LogRow {
  siteId: string;
  timeUnixNano: bigint; // when the event happened; 0n when the record does not say
  observedTimeUnixNano: bigint; // when a collector or SDK first saw it; 0n when absent
  // What the record is ordered and partitioned by: its time, else its
  // observed time, else when the collector received it. Never 0n.
  timestampUnixNano: bigint;
  severityNumber: number; // SeverityNumber enum value (1–24; 0 unspecified); others pass through
  severityText: string;
  body: AnyValueJson | null; // null when the record has no body; {} when it has one with no value set
  attributes: KeyValueJson[];
  droppedAttributesCount: number;
  flags: number; // W3C trace flags in the low byte; uint32
  traceId: Buffer | null; // 16 bytes, or null when the record names no trace
  spanId: Buffer | null; // 8 bytes, or null when the record names no span
  eventName: string; // OTLP 1.7 event_name; '' when not an event
  // Promoted from the resource, as on spans, because every query filters on it.
  serviceName: string;
  // Set when the attributes name an exception: such a record will also be an error occurrence.
  exception: LogException | null;
  resource: ResourceJson;
  resourceSchemaUrl: string;
  scope: ScopeJson;
  scopeSchemaUrl: string;
}
