// Named regression cases found by fuzzing the trace decoders (the properties
// in collector/test/fuzz/), each with its exact body: the decoder must return
// storable rows of bounded size or refuse the body as malformed. Found so far:
// OTLP/JSON IDs given as arrays or array-likes ({"length": 16}) instead of hex
// strings passed the ID checks and became all-zero IDs, and a bytesValue given
// as {"length": N} made a body of a few bytes decode to an N-byte attribute,
// and as deeply nested arrays overflowed the stack (RangeError, answered 500).
import t from 'tap';
import { checkDecode } from './fuzz/decode-checks.ts';
import type { OtlpEncoding } from '@justanalytics/collector';

/** Why the decode of `body` breaks a fuzz property: [] when it holds. */
function problemsOf(body: Buffer, encoding: OtlpEncoding): string[] {
  try {
    checkDecode(body, encoding);
    return [];
  } catch (error) {
    return [((error as Error).message.split('\n')[0] ?? '').slice(0, 300)];
  }
}

/** An OTLP/JSON request of one span, `field` (raw JSON text) added to or replacing the defaults. */
function jsonSpanBody(name: string, value: string): Buffer {
  const fields: Record<string, string> = {
    traceId: '"5b8efff798038103d269b633813fc60c"',
    spanId: '"eee19b7ec3c1b174"',
    name: '"op"',
    startTimeUnixNano: '"1780000000000000000"',
    endTimeUnixNano: '"1780000000000000001"',
    [name]: value,
  };
  const span = Object.entries(fields).map(([key, text]) => `"${key}":${text}`).join(',');
  return Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{${span}}]}]}]}`, 'utf8');
}

const cases: Array<{ name: string; body: Buffer; encoding: OtlpEncoding }> = [
  {
    name: 'json traceId {"length":16} (an array-like, not hex) must not become an all-zero trace ID',
    body: jsonSpanBody('traceId', '{"length":16}'),
    encoding: 'json',
  },
  {
    name: 'json traceId as an array of 16 numbers that are 0 mod 256 must not become an all-zero trace ID',
    body: jsonSpanBody('traceId', '[256,256,256,256,256,256,256,256,256,256,256,256,256,256,256,256]'),
    encoding: 'json',
  },
  {
    name: 'json spanId {"length":8} must not become an all-zero span ID (fuzz seed 1998661616)',
    body: jsonSpanBody('spanId', '{"length":8}'),
    encoding: 'json',
  },
  {
    name: 'json spanId as an array of 8 strings must not become an all-zero span ID',
    body: jsonSpanBody('spanId', '["x","x","x","x","x","x","x","x"]'),
    encoding: 'json',
  },
  {
    name: 'json parentSpanId {"length":8} must be a root (null parent) or rejected, not an all-zero parent',
    body: jsonSpanBody('parentSpanId', '{"length":8}'),
    encoding: 'json',
  },
  {
    name: 'json bytesValue {"length":1000000} must not turn a 200-byte body into a megabyte attribute (fuzz: {"length":224973})',
    body: jsonSpanBody('attributes', '[{"key":"b","value":{"bytesValue":{"length":1000000}}}]'),
    encoding: 'json',
  },
  {
    // fuzz seed 433642244 (FUZZ_RUNS=30000): bytesValue replaced by deep nesting; protobufjs passes
    // the array through as bytes, and Buffer.from() on it recurses through Array.prototype.toString.
    name: 'json bytesValue as 20,000 nested arrays must be refused or decoded, not overflow the stack (RangeError, an HTTP 500)',
    body: Buffer.from(`{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"bytesValue":${'['.repeat(20_000)}${']'.repeat(20_000)}}}]}}]}`, 'utf8'),
    encoding: 'json',
  },
];

for (const { name, body, encoding } of cases) {
  t.test(name, async (t) => {
    t.same(problemsOf(body, encoding), [], `${encoding} body of ${body.length} bytes: ${body.toString('latin1').slice(0, 300)}`);
  });
}
