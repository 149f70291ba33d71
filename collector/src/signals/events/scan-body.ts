import { scanJson } from '../../decode/json-scan.ts';
import { MalformedRequestError } from '../../decode/malformed-request-error.ts';
import type { OtlpEncoding } from '../../decode/otlp-encoding.ts';
import { decodedBytesOf } from '../../decode/request-scan.ts';
import { scanProtobuf } from '../../decode/wire-scan.ts';
import type { WireSchema } from '../../decode/wire-schema.ts';

/**
 * Counts an analytics body before it is parsed (analytics-wire-schema.ts)
 * and returns the memory parsing and enriching it will take, for the
 * receiver to reserve first. Throws MalformedRequestError when the body holds
 * more than `maxElements` values (which also bounds its nesting) or is
 * certainly not valid JSON or protobuf.
 */
export function scanAnalyticsBody(body: Buffer, encoding: OtlpEncoding, schema: WireSchema, maxElements: number): number {
  const counts = encoding === 'protobuf' ? scanProtobuf(body, schema, maxElements) : scanJson(body, schema, maxElements);
  if (counts.elements > maxElements) {
    throw new MalformedRequestError(`request holds more than ${maxElements} values (items, props and their keys, nested values), more than its limits allow`);
  }
  return decodedBytesOf(counts, schema, encoding, body);
}

/** The parsed JSON body (a byte order mark allowed), or MalformedRequestError. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new MalformedRequestError('request body is not valid JSON', { cause: error });
  }
}
