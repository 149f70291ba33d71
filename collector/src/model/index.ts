// @justanalytics/collector/model: what the backend's store, query and API
// share with the collector (rows, their OTLP/JSON parts, keys and scopes, ID
// spellings, the bearer credential), without loading the receivers.

export type { AnyValueJson, ExemplarJson, KeyValueJson, ResourceJson, ScopeJson, SpanEventJson, SpanLinkJson } from './otlp-json.ts';
export type { SpanRow } from '../signals/traces/span-row.ts';
export type { LogException, LogRow } from '../signals/logs/log-row.ts';
export type {
  ExponentialBuckets,
  ExponentialHistogramValue,
  MetricPointRow,
  MetricType,
  SummaryQuantile,
} from '../signals/metrics/metric-point-row.ts';
export { NO_RECORDED_VALUE, Temporality } from '../signals/metrics/metric-point-row.ts';
export type { ResolvedKey, Scope } from './keys.ts';
export { knownScopes } from './keys.ts';
export { bytesToHex, traceIdFromHex } from './ids.ts';
export { randomId, randomInt64 } from './random-ids.ts';
export { parseBearer } from './bearer.ts';
export type { KeyResolver } from '../auth/key-resolver.ts';
