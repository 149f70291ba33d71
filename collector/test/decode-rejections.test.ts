// Covers what decoding refuses: spans that cannot be stored (bad IDs, times
// beyond PostgreSQL's bigint, enums beyond smallint) are rejected one by one
// with a partial_success message while the good ones are kept; bodies that
// are not protobuf at all, or nest deeper than protobuf allows, fail as
// malformed.
import t from 'tap';
import { decodeSpanRows } from '../src/signals/traces/decode-trace-request.ts';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import { jsonRequest, jsonSpan, protobufRequest, SITE_ID } from './helpers/fixtures.ts';
import type { JsonObject } from './helpers/fixtures.ts';

const both = (request: JsonObject) =>
  [
    ['protobuf', decodeSpanRows(protobufRequest(request), 'protobuf', SITE_ID)],
    ['json', decodeSpanRows(Buffer.from(JSON.stringify(request)), 'json', SITE_ID)],
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
  const decoded = decodeSpanRows(Buffer.from(JSON.stringify(jsonRequest([jsonSpan({ kind: 1.5 })]))), 'json', SITE_ID);
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

t.test('values nested 40 levels deep are kept whole', async (t) => {
  const request = jsonRequest([jsonSpan({ attributes: [{ key: 'deep', value: nested(40) }] })]);
  for (const [encoding, decoded] of both(request)) {
    t.equal(decoded.rows.length, 1, encoding);
    t.same(decoded.rows[0]?.attributes[0]?.value, nested(40), encoding);
  }
});

t.test('values nested beyond the 100 message levels protobuf allows make the request malformed', async (t) => {
  const request = jsonRequest([jsonSpan({ attributes: [{ key: 'deep', value: nested(60) }] })]);
  t.throws(() => decodeSpanRows(Buffer.from(JSON.stringify(request)), 'json', SITE_ID), MalformedRequestError, 'json');
  t.throws(() => decodeSpanRows(deepProtobufRequest(60), 'protobuf', SITE_ID), MalformedRequestError, 'protobuf');
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
    t.throws(() => decodeSpanRows(body, 'protobuf', SITE_ID), MalformedRequestError, what);
  }
});

t.test('protobuf nested 2,000 levels deep is malformed, not a crash', async (t) => {
  t.throws(() => decodeSpanRows(deepProtobufRequest(2000), 'protobuf', SITE_ID), MalformedRequestError);
});

// A request whose one span has an attribute of `levels` nested arrays, made
// by hand (protobufjs' own encoder goes through fromObject, which refuses
// it): AnyValue.array_value is field 5, ArrayValue.values field 1.
function deepProtobufRequest(levels: number): Buffer {
  let value: Buffer = Buffer.from([0x0a, 0x01, 0x78]); // string_value "x"
  for (let i = 1; i < levels; i++) {
    const values = lengthDelimited(0x0a, value);
    value = lengthDelimited(0x2a, values);
  }
  const keyValue = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b]), lengthDelimited(0x12, value)]);
  const span = Buffer.concat([lengthDelimited(0x0a, Buffer.alloc(16, 1)), lengthDelimited(0x12, Buffer.alloc(8, 2)), lengthDelimited(0x4a, keyValue)]);
  return lengthDelimited(0x0a, lengthDelimited(0x12, lengthDelimited(0x12, span)));
}

function lengthDelimited(tag: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), varint(payload.length), payload]);
}

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
