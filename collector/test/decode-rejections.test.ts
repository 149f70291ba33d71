// Covers what decoding refuses: spans that cannot be stored (bad IDs, times
// beyond PostgreSQL's bigint, enums beyond smallint, values nested too deep)
// are rejected one by one with a partial_success message while the good ones
// are kept; bodies that are not protobuf at all fail as malformed.
import t from 'tap';
import { decodeTraceRequest } from '../src/decode/decode-trace-request.ts';
import { MAX_VALUE_DEPTH } from '../src/decode/any-value.ts';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import { jsonRequest, jsonSpan, protobufRequest, SITE_ID } from './helpers/fixtures.ts';
import type { JsonObject } from './helpers/fixtures.ts';

const both = (request: JsonObject) =>
  [
    ['protobuf', decodeTraceRequest(protobufRequest(request), 'protobuf', SITE_ID)],
    ['json', decodeTraceRequest(Buffer.from(JSON.stringify(request)), 'json', SITE_ID)],
  ] as const;

const cases: [string, JsonObject, RegExp][] = [
  ['trace_id of 15 bytes', { traceId: 'aa'.repeat(15) }, /invalid trace_id \(16 bytes, not all zero, required\)/],
  ['trace_id of 17 bytes', { traceId: 'aa'.repeat(17) }, /invalid trace_id/],
  ['no trace_id', { traceId: '' }, /invalid trace_id/],
  ['all-zero trace_id', { traceId: '00'.repeat(16) }, /invalid trace_id/],
  ['span_id of 7 bytes', { spanId: 'bb'.repeat(7) }, /invalid span_id \(8 bytes, not all zero, required\)/],
  ['no span_id', { spanId: '' }, /invalid span_id/],
  ['all-zero span_id', { spanId: '00'.repeat(8) }, /invalid span_id/],
  ['parent_span_id of 4 bytes', { parentSpanId: 'cc'.repeat(4) }, /invalid parent_span_id/],
  ['start time at 2^63', { startTimeUnixNano: '9223372036854775808' }, /invalid start_time_unix_nano \(below 2\^63 required\)/],
  ['start time at 2^64 - 1', { startTimeUnixNano: '18446744073709551615' }, /invalid start_time_unix_nano/],
  ['end time at 2^63', { endTimeUnixNano: '9223372036854775808' }, /invalid end_time_unix_nano/],
  ['kind beyond smallint', { kind: 70000 }, /invalid kind/],
  ['negative kind', { kind: -1 }, /invalid kind/],
  ['status code beyond smallint', { status: { code: 40000 } }, /invalid status.code/],
];

for (const [what, overrides, reason] of cases) {
  t.test(`${what}: that span is rejected, the others kept`, async (t) => {
    for (const [encoding, decoded] of both(jsonRequest([jsonSpan({ name: 'good-1' }), jsonSpan({ name: 'bad', ...overrides }), jsonSpan({ name: 'good-2' })]))) {
      t.same(
        decoded.rows.map((row) => row.name),
        ['good-1', 'good-2'],
        encoding,
      );
      t.equal(decoded.rejected, 1, encoding);
      t.match(decoded.message, /^1 span rejected: /, encoding);
      t.match(decoded.message, reason, encoding);
    }
  });
}

t.test('a fractional kind from JSON is rejected', async (t) => {
  const decoded = decodeTraceRequest(Buffer.from(JSON.stringify(jsonRequest([jsonSpan({ kind: 1.5 })]))), 'json', SITE_ID);
  t.equal(decoded.rejected, 1);
  t.match(decoded.message, /invalid kind/);
});

t.test('the message counts every rejection and names the first distinct reasons', async (t) => {
  const spans = [
    jsonSpan({ traceId: '' }),
    jsonSpan({ traceId: '00'.repeat(16) }),
    jsonSpan({ spanId: '' }),
    jsonSpan({ startTimeUnixNano: '9223372036854775808' }),
    jsonSpan({ kind: 99999 }),
    jsonSpan(),
  ];
  for (const [encoding, decoded] of both(jsonRequest(spans))) {
    t.equal(decoded.rows.length, 1, encoding);
    t.equal(decoded.rejected, 5, encoding);
    t.equal(
      decoded.message,
      '5 spans rejected: invalid trace_id (16 bytes, not all zero, required); invalid span_id (8 bytes, not all zero, required); invalid start_time_unix_nano (below 2^63 required)',
      encoding,
    );
  }
});

function nested(depth: number): JsonObject {
  let value: JsonObject = { stringValue: 'bottom' };
  for (let i = 1; i < depth; i++) value = { arrayValue: { values: [value] } };
  return value;
}

t.test(`values nested up to ${MAX_VALUE_DEPTH} levels are kept, deeper ones reject their span`, async (t) => {
  const ok = jsonSpan({ name: 'ok', attributes: [{ key: 'deep', value: nested(MAX_VALUE_DEPTH) }] });
  const tooDeep = jsonSpan({ name: 'deep', attributes: [{ key: 'deep', value: nested(MAX_VALUE_DEPTH + 1) }] });
  const inEvent = jsonSpan({ name: 'event', events: [{ name: 'e', attributes: [{ key: 'deep', value: nested(MAX_VALUE_DEPTH + 1) }] }] });
  for (const [encoding, decoded] of both(jsonRequest([ok, tooDeep, inEvent]))) {
    t.same(
      decoded.rows.map((row) => row.name),
      ['ok'],
      encoding,
    );
    t.equal(decoded.rejected, 2, encoding);
    t.match(decoded.message, /span attribute values nested deeper than/, encoding);
  }
});

t.test('a resource nested too deep rejects all of its spans', async (t) => {
  const request = {
    resourceSpans: [
      { resource: { attributes: [{ key: 'deep', value: nested(MAX_VALUE_DEPTH + 1) }] }, scopeSpans: [{ spans: [jsonSpan(), jsonSpan()] }, { spans: [jsonSpan()] }] },
      { scopeSpans: [{ scope: { name: 's', attributes: [{ key: 'deep', value: nested(MAX_VALUE_DEPTH + 1) }] }, spans: [jsonSpan()] }, { spans: [jsonSpan({ name: 'kept' })] }] },
    ],
  };
  for (const [encoding, decoded] of both(request)) {
    t.same(
      decoded.rows.map((row) => row.name),
      ['kept'],
      encoding,
    );
    t.equal(decoded.rejected, 4, encoding);
    t.match(decoded.message, /^4 spans rejected: resource attribute values nested deeper than \d+ levels; scope attribute values/, encoding);
  }
});

t.test('garbage and truncated protobuf are malformed', async (t) => {
  const valid = protobufRequest(jsonRequest([jsonSpan({ attributes: [{ key: 'a', value: { stringValue: 'x'.repeat(100) } }] })]));
  const bodies: [string, Buffer][] = [
    ['garbage', Buffer.from('this is not protobuf at all, just some text')],
    ['random bytes', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['truncated', valid.subarray(0, valid.length - 20)],
    ['cut in a length prefix', valid.subarray(0, 2)],
    ['JSON sent as protobuf', Buffer.from(JSON.stringify(jsonRequest([jsonSpan()])))],
  ];
  for (const [what, body] of bodies) {
    t.throws(() => decodeTraceRequest(body, 'protobuf', SITE_ID), MalformedRequestError, what);
  }
});

t.test('protobuf nested beyond the call stack is malformed, not a crash', async (t) => {
  // Hand-made AnyValue { array_value { values { array_value … } } } chain:
  // each level is field 5 (array_value), whose message holds field 1 (values).
  let value = Buffer.from([0x0a, 0x01, 0x78]); // string_value "x"
  for (let i = 0; i < 20000; i++) {
    const values = Buffer.concat([Buffer.from([0x0a]), varint(value.length), value]);
    value = Buffer.concat([Buffer.from([0x2a]), varint(values.length), values]);
  }
  const kv = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b, 0x12]), varint(value.length), value]);
  const span = Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.alloc(16, 1), Buffer.from([0x12, 0x08]), Buffer.alloc(8, 2), Buffer.from([0x4a]), varint(kv.length), kv]);
  const scopeSpans = Buffer.concat([Buffer.from([0x12]), varint(span.length), span]);
  const resourceSpans = Buffer.concat([Buffer.from([0x12]), varint(scopeSpans.length), scopeSpans]);
  const request = Buffer.concat([Buffer.from([0x0a]), varint(resourceSpans.length), resourceSpans]);
  let outcome: string;
  try {
    const decoded = decodeTraceRequest(request, 'protobuf', SITE_ID);
    outcome = decoded.rejected === 1 ? 'rejected' : 'kept';
  } catch (error) {
    outcome = error instanceof MalformedRequestError ? 'malformed' : `crashed: ${String(error)}`;
  }
  t.ok(outcome === 'malformed' || outcome === 'rejected', outcome);
});

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
