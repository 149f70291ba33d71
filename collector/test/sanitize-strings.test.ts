// Covers string sanitising: NUL bytes, lone surrogates and invalid UTF-8 in
// every string of a span (names, keys, values, trace_state, status message,
// schema URLs, scope, events, links) become U+FFFD, so PostgreSQL text and
// jsonb can store them; clean strings come back as the very same string.
import t from 'tap';
import type { Test } from 'tap';
import { decodeSpanRows } from '../src/signals/traces/decode-trace-request.ts';
import { sanitizeString } from '../src/decode/sanitize-string.ts';
import type { SpanRow } from '../src/signals/traces/span-row.ts';
import { jsonRequest, jsonSpan, protobufRequest, SITE_ID } from './helpers/fixtures.ts';

const R = '\uFFFD';

t.test('sanitizeString', async (t) => {
  t.equal(sanitizeString('plain ascii'), 'plain ascii');
  t.equal(sanitizeString('émoji 🎉 ok'), 'émoji 🎉 ok');
  t.equal(sanitizeString('a\u0000b\u0000'), `a${R}b${R}`);
  t.equal(sanitizeString('lone \uD800 high'), `lone ${R} high`);
  t.equal(sanitizeString('lone \uDC00 low'), `lone ${R} low`);
  t.equal(sanitizeString('\u0000\uD83D'), `${R}${R}`);
  t.equal(sanitizeString(''), '');
});

// Every string field of a span, holding `dirty`.
function dirtySpanRequest(dirty: string): Record<string, unknown> {
  const request = jsonRequest(
    [
      jsonSpan({
        name: dirty,
        traceState: dirty,
        attributes: [
          { key: dirty, value: { stringValue: dirty } },
          { key: 'list', value: { arrayValue: { values: [{ stringValue: dirty }] } } },
          { key: 'map', value: { kvlistValue: { values: [{ key: dirty, value: { stringValue: dirty } }] } } },
          { key: 'http.route', value: { stringValue: dirty } },
        ],
        events: [{ timeUnixNano: '1', name: dirty, attributes: [{ key: dirty, value: { stringValue: dirty } }] }],
        links: [{ traceId: '01'.repeat(16), spanId: '02'.repeat(8), traceState: dirty, attributes: [{ key: dirty, value: { stringValue: dirty } }] }],
        status: { code: 2, message: dirty },
      }),
    ],
    [{ key: 'service.name', value: { stringValue: dirty } }],
  );
  const resourceSpans = (request.resourceSpans as Record<string, unknown>[])[0] as Record<string, unknown>;
  resourceSpans.schemaUrl = dirty;
  const scopeSpans = (resourceSpans.scopeSpans as Record<string, unknown>[])[0] as Record<string, unknown>;
  scopeSpans.schemaUrl = dirty;
  scopeSpans.scope = { name: dirty, version: dirty, attributes: [{ key: dirty, value: { stringValue: dirty } }] };
  return request;
}

function strings(row: SpanRow): string[] {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) Object.values(value).forEach(walk);
  };
  walk({ ...row, startTimeUnixNano: null, endTimeUnixNano: null });
  return out;
}

function assertClean(t: Test, row: SpanRow | undefined, expected: string): void {
  t.ok(row, 'the span is kept');
  if (row === undefined) return;
  const all = strings(row);
  t.ok(all.length > 20, `${all.length} strings checked`);
  for (const value of all) {
    t.notOk(value.includes('\u0000'), 'no NUL');
    t.ok(value.isWellFormed(), 'well-formed UTF-16');
  }
  t.equal(row.name, expected);
  t.equal(row.traceState, expected);
  t.equal(row.statusMessage, expected);
  t.equal(row.serviceName, expected);
  t.equal(row.httpRoute, expected);
  t.equal(row.resourceSchemaUrl, expected);
  t.equal(row.scopeSchemaUrl, expected);
  t.equal(row.scope.name, expected);
  t.same(row.attributes[0], { key: expected, value: { stringValue: expected } });
  t.equal(row.events[0]?.name, expected);
  t.equal(row.links[0]?.traceState, expected);
}

t.test('NUL bytes anywhere, through protobuf and OTLP/JSON', async (t) => {
  const request = dirtySpanRequest('bad\u0000value');
  assertClean(t, decodeSpanRows(protobufRequest(request), 'protobuf', SITE_ID).rows[0], `bad${R}value`);
  assertClean(t, decodeSpanRows(Buffer.from(JSON.stringify(request)), 'json', SITE_ID).rows[0], `bad${R}value`);
});

t.test('lone surrogates from OTLP/JSON escapes', async (t) => {
  const request = JSON.stringify(dirtySpanRequest('MARK')).replaceAll('MARK', 'x\\ud800y');
  assertClean(t, decodeSpanRows(Buffer.from(request), 'json', SITE_ID).rows[0], `x${R}y`);
});

t.test('invalid UTF-8 bytes in protobuf strings', async (t) => {
  // Build with a marker, then swap its bytes for invalid UTF-8 of the same length.
  const marker = Buffer.from('MARK');
  const invalid = Buffer.from([0x78, 0xff, 0xc3, 0x79]); // x, a stray byte, a truncated sequence, y
  const body = protobufRequest(dirtySpanRequest('MARK'));
  let at = body.indexOf(marker);
  let replaced = 0;
  while (at !== -1) {
    invalid.copy(body, at);
    replaced++;
    at = body.indexOf(marker, at);
  }
  t.ok(replaced > 20);
  assertClean(t, decodeSpanRows(body, 'protobuf', SITE_ID).rows[0], `x${R}${R}y`);
});

t.test('invalid UTF-8 bytes in an OTLP/JSON body', async (t) => {
  const text = Buffer.from(JSON.stringify(dirtySpanRequest('MARK')));
  let at = text.indexOf('MARK');
  while (at !== -1) {
    Buffer.from([0x78, 0xff, 0xfe, 0x79]).copy(text, at);
    at = text.indexOf('MARK', at);
  }
  assertClean(t, decodeSpanRows(text, 'json', SITE_ID).rows[0], `x${R}${R}y`);
});

t.test('10,000 attributes on one span are all kept, in order', async (t) => {
  const attributes = Array.from({ length: 10_000 }, (_, i) => ({ key: `attr.${i}`, value: i % 2 === 0 ? { intValue: String(i) } : { stringValue: `value ${i}` } }));
  const request = jsonRequest([jsonSpan({ attributes })]);
  for (const [encoding, body] of [
    ['protobuf', protobufRequest(request)],
    ['json', Buffer.from(JSON.stringify(request))],
  ] as const) {
    const decoded = decodeSpanRows(body, encoding, SITE_ID);
    t.equal(decoded.rejected, 0, encoding);
    t.same(decoded.rows[0]?.attributes, attributes, encoding);
  }
});
