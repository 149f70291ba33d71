// Covers the OTLP/JSON specifics of decoding: case-insensitive hex IDs,
// enum names and numbers, int64 as strings and as numbers (exact beyond
// 2^53), unknown fields ignored, invalid hex rejecting only its span, and
// bodies that are not OTLP/JSON at all failing as malformed.
import t from 'tap';
import { decodeSpanRows } from '../src/signals/traces/decode-trace-request.ts';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import { jsonRequest, jsonSpan, SITE_ID, SPAN_ID_HEX, TRACE_ID_HEX } from './helpers/fixtures.ts';

const decodeJson = (text: string) => decodeSpanRows(Buffer.from(text), 'json', SITE_ID);
const decodeObject = (value: unknown) => decodeJson(JSON.stringify(value));

t.test('hex IDs in either case, in spans and links', async (t) => {
  const request = jsonRequest([
    jsonSpan({
      traceId: TRACE_ID_HEX.toUpperCase(),
      spanId: SPAN_ID_HEX.toUpperCase(),
      parentSpanId: 'AbCdEf0123456789',
      links: [{ traceId: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', spanId: 'ABCDEFABCDEFABCD' }],
    }),
  ]);
  const [row] = decodeObject(request).rows;
  t.equal(row?.traceId.toString('hex'), TRACE_ID_HEX);
  t.equal(row?.spanId.toString('hex'), SPAN_ID_HEX);
  t.equal(row?.parentSpanId?.toString('hex'), 'abcdef0123456789');
  t.equal(row?.links[0]?.traceId, 'ffffffffffffffffffffffffffffffff');
  t.equal(row?.links[0]?.spanId, 'abcdefabcdefabcd');
});

t.test('enums as names or numbers', async (t) => {
  const request = jsonRequest([
    jsonSpan({ kind: 'SPAN_KIND_CONSUMER', status: { code: 'STATUS_CODE_OK' } }),
    jsonSpan({ kind: 4, status: { code: 2 } }),
  ]);
  t.same(
    decodeObject(request).rows.map((row) => [row.kind, row.statusCode]),
    [
      [5, 1],
      [4, 2],
    ],
  );
});

t.test('int64 as decimal strings or as numbers, exact beyond 2^53', async (t) => {
  // Written by hand: JSON.stringify cannot produce these number literals.
  const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{
    "traceId":"${TRACE_ID_HEX}","spanId":"${SPAN_ID_HEX}",
    "startTimeUnixNano":1700000000123456789,
    "endTimeUnixNano":"1700000000987654321",
    "attributes":[
      {"key":"n","value":{"intValue":9007199254740993}},
      {"key":"neg","value":{"intValue":-9223372036854775808}},
      {"key":"small","value":{"intValue":42}},
      {"key":"s","value":{"intValue":"-17"}},
      {"key":"big.double","value":{"doubleValue":12345678901234567890}},
      {"key":"note","value":{"stringValue":"a: 12345678901234567890"}}
    ],
    "events":[{"timeUnixNano":1700000000123456799,"name":"e"}]
  }]}]}]}`;
  const [row] = decodeJson(text).rows;
  t.equal(row?.startTimeUnixNano, 1700000000123456789n);
  t.equal(row?.endTimeUnixNano, 1700000000987654321n);
  t.same(row?.attributes, [
    { key: 'n', value: { intValue: '9007199254740993' } },
    { key: 'neg', value: { intValue: '-9223372036854775808' } },
    { key: 'small', value: { intValue: '42' } },
    { key: 's', value: { intValue: '-17' } },
    { key: 'big.double', value: { doubleValue: 12345678901234567000 } },
    { key: 'note', value: { stringValue: 'a: 12345678901234567890' } },
  ]);
  t.equal(row?.events[0]?.timeUnixNano, '1700000000123456799');
});

t.test('unknown fields are ignored at every level', async (t) => {
  const request = jsonRequest([jsonSpan({ futureField: { nested: [1, 2] }, attributes: [{ key: 'a', value: { stringValue: 'x' }, extra: true }] })]);
  (request as Record<string, unknown>).somethingNew = 'ignored';
  const decoded = decodeObject(request);
  t.equal(decoded.rejected, 0);
  t.same(decoded.rows[0]?.attributes, [{ key: 'a', value: { stringValue: 'x' } }]);
});

t.test('snake_case field names are not OTLP/JSON: they are unknown fields', async (t) => {
  const decoded = decodeObject({ resource_spans: [{ scope_spans: [{ spans: [jsonSpan()] }] }] });
  t.same(decoded, { rows: [], rejected: 0, message: '' });
});

t.test('an ID that is not hex rejects its span only', async (t) => {
  const decoded = decodeObject(
    jsonRequest([jsonSpan({ traceId: 'zz8efff798038103d269b633813fc60c' }), jsonSpan({ spanId: 'eee19b7ec3c1b17' }), jsonSpan({ parentSpanId: 'not hex!' }), jsonSpan()]),
  );
  t.equal(decoded.rows.length, 1);
  t.equal(decoded.rejected, 3);
  t.match(decoded.message, /^3 spans rejected: invalid trace_id .*; invalid span_id .*; invalid parent_span_id /);
});

t.test('a byte order mark is skipped', async (t) => {
  t.equal(decodeJson(`\uFEFF${JSON.stringify(jsonRequest([jsonSpan()]))}`).rows.length, 1);
});

t.test('bodies that are not OTLP/JSON are malformed', async (t) => {
  const bad: [string, string, RegExp][] = [
    ['invalid JSON', '{"resourceSpans": [', /not valid JSON/],
    ['not JSON at all', '\u0000\u0001garbage', /not valid JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['null', 'null', /must be a JSON object/],
    ['a number', '42', /must be a JSON object/],
    ['resourceSpans not an array', '{"resourceSpans": 5}', /resourceSpans: array expected/],
    ['a span not an object', '{"resourceSpans": [{"scopeSpans": [{"spans": [7]}]}]}', /object expected/],
    ['a bytes value not base64', JSON.stringify(jsonRequest([jsonSpan({ attributes: [{ key: 'b', value: { bytesValue: '%%%' } }] })])), /invalid encoding/],
  ];
  for (const [what, text, message] of bad) {
    t.throws(() => decodeJson(text), MalformedRequestError, what);
    t.throws(() => decodeJson(text), { message }, what);
  }
});

t.test('the parser error does not echo the body', async (t) => {
  try {
    decodeJson('{"secret-looking-body": nope}');
    t.fail('should have thrown');
  } catch (error) {
    t.type(error, MalformedRequestError);
    t.notMatch((error as Error).message, /secret/);
  }
});
