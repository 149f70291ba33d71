// The OTLP/JSON shapes (proto3 JSON mapping with the OTLP exceptions: hex IDs,
// int64 as decimal strings) that rows carry for nested data. Storing them in
// this form means what the API returns is exactly what the exporter sent.

export type AnyValueJson =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  // NaN and the infinities have no JSON number, so proto3 JSON spells them as strings.
  | { doubleValue: number | 'NaN' | 'Infinity' | '-Infinity' }
  | { bytesValue: string }
  | { arrayValue: { values: AnyValueJson[] } }
  | { kvlistValue: { values: KeyValueJson[] } }
  | Record<string, never>;

export interface KeyValueJson {
  key: string;
  value: AnyValueJson;
}

export interface SpanEventJson {
  timeUnixNano: string;
  name: string;
  attributes: KeyValueJson[];
  droppedAttributesCount: number;
}

export interface SpanLinkJson {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: KeyValueJson[];
  droppedAttributesCount: number;
  flags: number;
}

export interface ResourceJson {
  attributes: KeyValueJson[];
  droppedAttributesCount: number;
}

export interface ScopeJson {
  name: string;
  version: string;
  attributes: KeyValueJson[];
  droppedAttributesCount: number;
}

/** A metric data point's exemplar: a sampled measurement with the trace and span it was recorded in. */
export interface ExemplarJson {
  filteredAttributes: KeyValueJson[];
  timeUnixNano: string;
  // Exactly one of the two, as the point's value was recorded.
  asDouble?: number | 'NaN' | 'Infinity' | '-Infinity';
  asInt?: string;
  spanId: string; // hex, '' when absent
  traceId: string; // hex, '' when absent
}
