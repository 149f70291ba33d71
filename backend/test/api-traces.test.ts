// Covers GET /api/v1/traces/:traceId and GET /api/v1/traces through app.inject:
// the whole trace as OTLP/JSON after JSON serialization (awkward values intact),
// search parameters (durations, times, attr.*, status, paging), their 400s
// (NUL, lengths, the number of attr.* filters, the range of searches that read
// spans), the default time range, that a key of another site sees nothing, the
// span cap of a trace fetch and its headers, and list counts that match the
// trace view when spans were stored twice.
import t from 'tap';
import { MAX_ATTRIBUTE_FILTERS } from '../src/api/limits.ts';
import { awkwardTrace, HOUR, MINUTE, MS, nanos, newSpanId, newTraceId, SECOND, spanJson, spanRow } from './helpers/query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';

const { siteA, siteB, keyA, keyB, write, get, app } = await setUpApiTest(t);

const now = Date.now();
const awkward = awkwardTrace(siteA, new Date(now - 10 * 60_000));
await write(siteA, awkward.rows);
const awkwardHex = awkward.traceId.toString('hex');

// Search fixtures, 2 hours ago so that the default range (last hour) does not see them.
const base = nanos(new Date(now - 2 * 3_600_000));
const fast = newTraceId();
const slow = newTraceId();
const failing = newTraceId();
await write(siteA, [
  spanRow(siteA, { traceId: fast, serviceName: 'web', name: 'GET /', startTimeUnixNano: base, endTimeUnixNano: base + 250n * MS, attributes: [{ key: 'http.response.status_code', value: { intValue: '200' } }] }),
  spanRow(siteA, { traceId: slow, serviceName: 'web', name: 'GET /report', startTimeUnixNano: base + SECOND, endTimeUnixNano: base + SECOND + 90n * SECOND, statusCode: 1 }),
  spanRow(siteA, { traceId: failing, serviceName: 'api', name: 'POST /order', startTimeUnixNano: base + 2n * SECOND, endTimeUnixNano: base + 3n * SECOND, statusCode: 2 }),
]);
await write(siteB, [spanRow(siteB, { serviceName: 'web', name: 'GET /', startTimeUnixNano: base + 3n * SECOND })]);
const from = encodeURIComponent(new Date(Number((base - MINUTE) / MS)).toISOString());
const to = String(Number((base + MINUTE) / MS)); // unix milliseconds
const range = `start=${from}&end=${to}`;

t.test('GET /traces/:traceId returns the trace as OTLP/JSON, every value intact', async (t) => {
  const [root, internal, client] = awkward.rows;
  if (!root || !internal || !client) throw new Error('fixture');
  const { status, body, raw } = await get(`/api/v1/traces/${awkwardHex}`);
  t.equal(status, 200);
  t.strictSame(body, {
    resourceSpans: [
      {
        resource: root.resource,
        schemaUrl: root.resourceSchemaUrl,
        scopeSpans: [
          { scope: root.scope, schemaUrl: root.scopeSchemaUrl, spans: [spanJson(root)] },
          { scope: internal.scope, schemaUrl: internal.scopeSchemaUrl, spans: [spanJson(internal)] },
        ],
      },
      { resource: client.resource, schemaUrl: '', scopeSpans: [{ scope: client.scope, schemaUrl: '', spans: [spanJson(client)] }] },
    ],
  });
  // What JSON.parse could blur: the literal text of the awkward numbers.
  t.match(raw, '"intValue":"9223372036854775807"');
  t.match(raw, '"intValue":"-9223372036854775808"');
  t.match(raw, '"doubleValue":"NaN"');
  t.match(raw, `"startTimeUnixNano":"${root.startTimeUnixNano}"`);
});

t.test('trace IDs: upper case accepted, malformed 400, unknown 404, other site 404', async (t) => {
  t.equal((await get(`/api/v1/traces/${awkwardHex.toUpperCase()}`)).status, 200);
  const malformed = await get('/api/v1/traces/xyz');
  t.equal(malformed.status, 400);
  t.match(malformed.body, { error: { code: 'INVALID_ARGUMENT', message: /traceId/ } });
  t.equal((await get(`/api/v1/traces/${awkwardHex}00`)).status, 400);
  const unknown = await get(`/api/v1/traces/${newTraceId().toString('hex')}`);
  t.equal(unknown.status, 404);
  t.match(unknown.body, { error: { code: 'NOT_FOUND', message: /not found/ } });
  const otherSite = await get(`/api/v1/traces/${awkwardHex}`, keyB);
  t.equal(otherSite.status, 404);
  t.strictSame(otherSite.body, { error: { code: 'NOT_FOUND', message: `trace ${awkwardHex} not found` } });
});

interface SearchBody {
  traces: Array<{ traceId: string; rootServiceName: string | null; durationNs: string; spanCount: number }>;
  nextCursor: string | null;
}
async function search(query: string, key = keyA): Promise<string[]> {
  const { status, body } = await get(`/api/v1/traces?${range}&${query}`, key);
  if (status !== 200) throw new Error(`search ${query}: ${status} ${JSON.stringify(body)}`);
  return (body as SearchBody).traces.map((trace) => trace.traceId);
}
const hex = (id: Buffer) => id.toString('hex');

t.test('GET /traces filters by each parameter', async (t) => {
  t.strictSame(await search(''), [failing, slow, fast].map(hex));
  t.strictSame(await search('service=web'), [slow, fast].map(hex));
  t.strictSame(await search('service=web&operation=GET%20%2Freport'), [hex(slow)]);
  t.strictSame(await search('status=error'), [hex(failing)]);
  t.strictSame(await search('status=ok'), [hex(slow)]);
  t.strictSame(await search('status=unset'), [hex(fast)]);
  t.strictSame(await search('minDuration=1s'), [failing, slow].map(hex));
  t.strictSame(await search('minDuration=1.5m'), [hex(slow)]);
  t.strictSame(await search('maxDuration=250ms'), [hex(fast)]);
  t.strictSame(await search('maxDuration=249999999'), []);
  t.strictSame(await search('minDuration=250000000&maxDuration=1s'), [failing, fast].map(hex));
  t.strictSame(await search('attr.http.response.status_code=200'), [hex(fast)]);
  t.strictSame(await search('attr.http.response.status_code=500'), []);
});

t.test('GET /traces returns summaries with exact nanoseconds', async (t) => {
  const { body } = await get(`/api/v1/traces?${range}&service=web&limit=1`);
  t.strictSame((body as SearchBody).traces, [
    {
      traceId: hex(slow),
      rootServiceName: 'web',
      rootSpanName: 'GET /report',
      startTimeUnixNano: (base + SECOND).toString(),
      durationNs: (90n * SECOND).toString(),
      spanCount: 1,
      errorCount: 0,
    },
  ]);
  t.type((body as SearchBody).nextCursor, 'string');
});

t.test('GET /traces pages with the cursor', async (t) => {
  const first = (await get(`/api/v1/traces?${range}&limit=2`)).body as SearchBody;
  t.strictSame(first.traces.map((trace) => trace.traceId), [failing, slow].map(hex));
  if (first.nextCursor === null) throw new Error('expected a next page');
  const second = (await get(`/api/v1/traces?${range}&limit=2&cursor=${first.nextCursor}`)).body as SearchBody;
  t.strictSame(second.traces.map((trace) => trace.traceId), [hex(fast)]);
  t.equal(second.nextCursor, null);
});

t.test('GET /traces defaults to the last hour', async (t) => {
  const recent = (await get('/api/v1/traces')).body as SearchBody;
  t.strictSame(recent.traces.map((trace) => trace.traceId), [awkwardHex]);
});

t.test('GET /traces shows only the key’s site', async (t) => {
  const ofB = await search('', keyB);
  t.equal(ofB.length, 1);
  t.notOk(ofB.includes(hex(fast)));
  t.strictSame(await search('service=api', keyB), []);
  t.strictSame((await get('/api/v1/traces', keyB)).body, { traces: [], nextCursor: null });
});

t.test('GET /traces rejects bad parameters with 400', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['minDuration=fast', /minDuration/],
    ['maxDuration=-1s', /maxDuration/],
    ['start=yesterday', /start/],
    ['end=2026-13-01', /end/],
    [`start=${Date.now()}&end=${Date.now() - 1000}`, /before/],
    ['limit=0', /limit/],
    ['limit=1001', /limit/],
    ['limit=ten', /limit/],
    ['status=broken', /status must be one of error, ok, unset/],
    ['cursor=bm90LWEtY3Vyc29y', /cursor/],
    ['servce=web', /servce/],
    ['attr.a=1&attr.a=2', /attr\.a/],
  ];
  for (const [query, message] of bad) {
    const { status, body } = await get(`/api/v1/traces?${query}`);
    t.equal(status, 400, query);
    t.match(body, { error: { code: 'INVALID_ARGUMENT', message } }, query);
  }
});

t.test('times may be ISO 8601 with an offset or unix milliseconds', async (t) => {
  const start = new Date(Number((base + SECOND) / MS));
  const iso = encodeURIComponent(start.toISOString().replace('Z', '+00:00'));
  const { body } = await get(`/api/v1/traces?start=${iso}&end=${Number((base + HOUR) / MS)}`);
  t.strictSame((body as SearchBody).traces.map((trace) => trace.traceId), [failing, slow].map(hex));
});

t.test('NUL in any string parameter is a 400 naming it, not a database error', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['service=we%00b', /querystring\.service must not contain NUL/],
    ['operation=%00', /querystring\.operation must not contain NUL/],
    ['attr.http.method=GET%00', /querystring\.attr\.http\.method must not contain NUL/],
    ['attr.k%00y=1', /parameter name "attr\.k\\u0000y" must not contain NUL/],
    ['cursor=%00', /querystring\.cursor must not contain NUL/],
    ['start=%00', /querystring\.start must not contain NUL/],
    ['minDuration=1s%00', /querystring\.minDuration must not contain NUL/],
  ];
  for (const [query, message] of cases) {
    const { status, body } = await get(`/api/v1/traces?${query}`);
    t.equal(status, 400, query);
    t.match(body, { error: { code: 'INVALID_ARGUMENT', message } }, query);
  }
  t.equal((await get(`/api/v1/traces/${awkwardHex.slice(0, 31)}%00`)).status, 400, 'in the path');
});

t.test('filters are bounded: their number and their lengths', async (t) => {
  const filters = (n: number) => Array.from({ length: n }, (_, i) => `attr.k${i}=v`).join('&');
  t.equal((await get(`/api/v1/traces?${range}&${filters(MAX_ATTRIBUTE_FILTERS)}`)).status, 200, `${MAX_ATTRIBUTE_FILTERS} filters`);
  const tooMany = await get(`/api/v1/traces?${range}&${filters(MAX_ATTRIBUTE_FILTERS + 1)}`);
  t.equal(tooMany.status, 400);
  t.match(tooMany.body, { error: { code: 'INVALID_ARGUMENT', message: `at most ${MAX_ATTRIBUTE_FILTERS} attr.* filters are allowed in one search, got ${MAX_ATTRIBUTE_FILTERS + 1}` } });
  const long: Array<[string, RegExp]> = [
    [`service=${'s'.repeat(1025)}`, /querystring\.service must NOT have more than 1024 characters/],
    [`operation=${'o'.repeat(1025)}`, /querystring\.operation must NOT have more than 1024 characters/],
    [`attr.k=${'v'.repeat(1025)}`, /querystring\.attr\.k must NOT have more than 1024 characters/],
    [`attr.${'k'.repeat(257)}=v`, /parameter name "attr\.k+…" must NOT have more than 261 characters/],
  ];
  for (const [query, message] of long) {
    const { status, body } = await get(`/api/v1/traces?${query}`);
    t.equal(status, 400, query.slice(0, 20));
    t.match(body, { error: { code: 'INVALID_ARGUMENT', message } }, query.slice(0, 20));
  }
  t.equal((await get(`/api/v1/traces?${range}&service=${'s'.repeat(1024)}&attr.${'k'.repeat(256)}=${'v'.repeat(1024)}`)).status, 200, 'at the limits');
});

t.test('a search that reads spans covers at most 7 days; one of summaries only is not bounded', async (t) => {
  const end = Date.now();
  const week = `start=${end - 7 * 86_400_000}&end=${end}`;
  const longer = `start=${end - 7 * 86_400_000 - 1}&end=${end}`;
  for (const filter of ['service=web', 'operation=GET%20%2F', 'attr.k=v', 'status=ok', 'status=unset']) {
    t.equal((await get(`/api/v1/traces?${week}&${filter}`)).status, 200, `${filter} over 7 days`);
    const refused = await get(`/api/v1/traces?${longer}&${filter}`);
    t.equal(refused.status, 400, `${filter} over more`);
    t.match(refused.body, { error: { code: 'INVALID_ARGUMENT', message: /may be at most 7 days \(168h\)/ } });
  }
  const month = `start=${end - 30 * 86_400_000}&end=${end}`;
  for (const filter of ['', 'status=error', 'minDuration=1s', 'maxDuration=1h']) {
    t.equal((await get(`/api/v1/traces?${month}&${filter}`)).status, 200, `${filter || 'no filter'} over 30 days`);
  }
});

t.test('a trace fetch returns at most limit spans, the earliest, and says so in headers', async (t) => {
  const whole = await get(`/api/v1/traces/${awkwardHex}`);
  t.equal(whole.headers['x-trace-truncated'], 'false');
  t.equal(whole.headers['x-trace-total-spans'], '3');
  t.equal(whole.headers['x-trace-returned-spans'], '3');

  const cut = await get(`/api/v1/traces/${awkwardHex}?limit=2`);
  t.equal(cut.status, 200);
  t.equal(cut.headers['x-trace-truncated'], 'true');
  t.equal(cut.headers['x-trace-total-spans'], '3');
  t.equal(cut.headers['x-trace-returned-spans'], '2');
  const [root, internal] = awkward.rows;
  const spans = (cut.body as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> }).resourceSpans.flatMap((r) =>
    r.scopeSpans.flatMap((s) => s.spans.map((span) => span.spanId)),
  );
  t.strictSame(spans, [root, internal].map((row) => row?.spanId.toString('hex')), 'the two earliest');

  for (const limit of ['0', '10001', 'all']) {
    const bad = await get(`/api/v1/traces/${awkwardHex}?limit=${limit}`);
    t.equal(bad.status, 400, `limit=${limit}`);
    t.match(bad.body, { error: { code: 'INVALID_ARGUMENT', message: /limit/ } });
  }
  t.equal((await get(`/api/v1/traces/${awkwardHex}?limit=10000`)).status, 200);

  const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
    paths: Record<string, { get: { parameters: Array<{ name: string }>; responses: Record<string, { headers?: Record<string, unknown> }> } }>;
  }>();
  const route = doc.paths['/api/v1/traces/{traceId}']?.get;
  t.ok(route?.parameters.some((p) => p.name === 'limit'), 'limit is documented');
  t.strictSame(Object.keys(route?.responses['200']?.headers ?? {}).sort(), ['x-trace-returned-spans', 'x-trace-total-spans', 'x-trace-truncated']);
});

t.test('list counts match the trace view when an export was stored twice', async (t) => {
  const traceId = newTraceId();
  const rootId = newSpanId();
  const start = nanos(new Date(now - 5 * 60_000));
  const rows = [
    spanRow(siteA, { traceId, spanId: rootId, serviceName: 'retry', startTimeUnixNano: start, endTimeUnixNano: start + SECOND }),
    spanRow(siteA, { traceId, parentSpanId: rootId, serviceName: 'retry', statusCode: 2, startTimeUnixNano: start + 1n }),
  ];
  await write(siteA, rows);
  await write(siteA, rows);
  const view = await get(`/api/v1/traces/${hex(traceId)}`);
  t.equal(view.headers['x-trace-total-spans'], '2');
  const listed = (await get('/api/v1/traces?service=retry')).body as { traces: Array<{ traceId: string; spanCount: number; errorCount: number }> };
  t.match(listed.traces, [{ traceId: hex(traceId), spanCount: 2, errorCount: 1 }]);
});
