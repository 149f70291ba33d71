// Shared test fixtures: keys, a silent logger, and OTLP request builders.
import { ExportTraceServiceRequest } from '@justanalytics/proto';
import pino from 'pino';
import type { Logger } from 'pino';
import { StaticKeyResolver } from '../../src/auth/static-key-resolver.ts';

export const SITE_ID = 'site-a';
export const INGEST_KEY = 'ja_sk_ingest_test_key';
export const READ_ONLY_KEY = 'ja_sk_read_only_test_key';

export const keys = new StaticKeyResolver([
  [INGEST_KEY, { keyId: 'key-ingest', siteId: SITE_ID, scopes: ['ingest', 'read'] }],
  [READ_ONLY_KEY, { keyId: 'key-read', siteId: SITE_ID, scopes: ['read'] }],
]);

export const silentLogger: Logger = pino({ level: 'silent' });

export const TRACE_ID_HEX = '5b8efff798038103d269b633813fc60c';
export const SPAN_ID_HEX = 'eee19b7ec3c1b174';
export const PARENT_SPAN_ID_HEX = 'aaaabbbbccccdddd';

export type JsonObject = Record<string, unknown>;

/** A valid OTLP/JSON span, with fields replaced by `overrides`. */
export function jsonSpan(overrides: JsonObject = {}): JsonObject {
  return {
    traceId: TRACE_ID_HEX,
    spanId: SPAN_ID_HEX,
    name: 'GET /users/:id',
    kind: 2,
    startTimeUnixNano: '1700000000123456789',
    endTimeUnixNano: '1700000000223456789',
    ...overrides,
  };
}

/** An OTLP/JSON ExportTraceServiceRequest holding `spans` under one resource and scope. */
export function jsonRequest(spans: JsonObject[], resourceAttributes: JsonObject[] = [{ key: 'service.name', value: { stringValue: 'checkout' } }]): JsonObject {
  return {
    resourceSpans: [
      {
        resource: { attributes: resourceAttributes },
        scopeSpans: [{ scope: { name: 'test-scope', version: '1.0.0' }, spans }],
      },
    ],
  };
}

/**
 * The binary protobuf encoding of an OTLP/JSON-like request (IDs as hex are
 * turned into bytes here, the same convention as jsonRequest).
 */
export function protobufRequest(request: JsonObject): Buffer {
  const copy = structuredClone(request) as { resourceSpans?: { scopeSpans?: { spans?: JsonObject[] }[] }[] };
  for (const resourceSpans of copy.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        for (const field of ['traceId', 'spanId', 'parentSpanId']) {
          if (typeof span[field] === 'string') span[field] = Buffer.from(span[field] as string, 'hex');
        }
        for (const link of (span.links as JsonObject[] | undefined) ?? []) {
          for (const field of ['traceId', 'spanId']) {
            if (typeof link[field] === 'string') link[field] = Buffer.from(link[field] as string, 'hex');
          }
        }
      }
    }
  }
  const bytes = ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(copy)).finish();
  return Buffer.from(bytes);
}
