// Covers GET /api/v1/traces/:traceId and GET /api/v1/traces through app.inject:
// the whole trace as OTLP/JSON after JSON serialization (awkward values intact),
// search parameters (durations, times, attr.*, status, paging), their 400s, the
// default time range, and that a key of another site sees nothing.
import t from 'tap';
import { awkwardTrace, HOUR, MINUTE, MS, nanos, newTraceId, SECOND, spanJson, spanRow } from './helpers/query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';

const { siteA, siteB, keyA, keyB, write, get } = await setUpApiTest(t);

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
