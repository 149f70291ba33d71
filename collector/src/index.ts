export type { AnyValueJson, KeyValueJson, ResourceJson, ScopeJson, SpanEventJson, SpanLinkJson } from './rows/otlp-json.ts';
export type { SpanRow } from './rows/span-row.ts';
export type { RowBatch, Sink, WriteResult } from './sink/sink.ts';
export { SinkOverloadedError, SinkUnavailableError } from './sink/sink.ts';
export type { KeyResolver, ResolvedKey, Scope } from './auth/key-resolver.ts';
