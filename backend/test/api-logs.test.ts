// Covers GET /api/v1/logs and GET /api/v1/traces/{traceId}/logs over HTTP:
// the answer's shape (exact int64 in the JSON text), parameters and their
// 400s, paging through nextCursor, the truncation headers of a trace's logs,
// the OpenAPI document, and that another site's key finds nothing.
import t from 'tap';
import { insertLogRows, logRow, recordsOf } from './helpers/log-rows.ts';
import { nanos, newSpanId, newTraceId, SECOND } from './helpers/query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';
import type { LogsDataJson } from '../src/query/logs/logs.ts';

const { db, siteA, keyB, get } = await setUpApiTest(t);

const now = Date.now();
const t0 = nanos(new Date(now - 10 * 60_000), 987_654_321n);
const traceId = newTraceId();
const spanId = newSpanId();
const rows = [
  logRow(siteA, {
    timestampUnixNano: t0,
    serviceName: 'api-svc',
    severityNumber: 17,
    severityText: 'ERROR',
    body: { kvlistValue: { values: [{ key: 'max', value: { intValue: '9223372036854775807' } }, { key: 'msg', value: { stringValue: 'Zahlung fehlgeschlagen: Ärger' } }] } },
    attributes: [{ key: 'http.status_code', value: { intValue: '502' } }],
    traceId,
    spanId,
  }),
  ...Array.from({ length: 25 }, (_, i) =>
    logRow(siteA, { timestampUnixNano: t0 + BigInt(i + 1) * SECOND, serviceName: 'api-svc', body: { stringValue: `line ${i}` }, traceId }),
  ),
  logRow(siteA, { timestampUnixNano: nanos(new Date(now - 2 * 3_600_000)), serviceName: 'api-svc', body: { stringValue: 'two hours ago' } }),
];
await insertLogRows(db, rows);

type LogsPage = LogsDataJson & { nextCursor: string | null };

t.test('a search answers LogsData with nextCursor, int64 exact', async (t) => {
  const response = await get(`/api/v1/logs?q=${encodeURIComponent('ärger')}&service=api-svc`);
  t.equal(response.status, 200);
  const body = response.body as LogsPage;
  t.equal(body.nextCursor, null);
  const records = recordsOf(body);
  t.equal(records.length, 1);
  t.match(records[0], { severityNumber: 17, severityText: 'ERROR', traceId: traceId.toString('hex'), spanId: spanId.toString('hex'), timeUnixNano: t0.toString() });
  t.match(response.raw, '"intValue":"9223372036854775807"', 'int64 as a string, exactly');
  t.match(response.raw, `"timeUnixNano":"${t0}"`);
});

t.test('filters over HTTP', async (t) => {
  const count = async (query: string) => recordsOf((await get(`/api/v1/logs?${query}`)).body as LogsPage).length;
  t.equal(await count('limit=1000'), 26, 'the last hour by default');
  t.equal(await count(`start=${now - 3 * 3_600_000}&limit=1000`), 27);
  t.equal(await count('severity=error'), 1);
  t.equal(await count('severity=info&limit=1000'), 26);
  t.equal(await count('attr.http.status_code=502'), 1);
  t.equal(await count(`traceId=${traceId.toString('hex').toUpperCase()}&limit=1000`), 26, 'hex IDs in either case');
  t.equal(await count(`spanId=${spanId.toString('hex')}`), 1);
  t.equal(await count(`q=${encodeURIComponent('line -"line 1"')}&limit=1000`), 14, 'line 0, 2-9, 20-24');
  t.equal(await count('service=other'), 0);
});

t.test('paging through nextCursor', async (t) => {
  const seen: string[] = [];
  let url = '/api/v1/logs?limit=4';
  for (let pages = 0; pages < 20; pages++) {
    const body = (await get(url)).body as LogsPage;
    seen.push(...recordsOf(body).map((record) => record.timeUnixNano));
    if (body.nextCursor === null) break;
    url = `/api/v1/logs?limit=4&cursor=${encodeURIComponent(body.nextCursor)}`;
  }
  t.equal(seen.length, 26);
  t.equal(new Set(seen).size, 26);
  t.strictSame(seen, [...seen].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1)), 'newest first');
});

t.test('bad parameters are 400 INVALID_ARGUMENT', async (t) => {
  const tooManyWords = Array.from({ length: 21 }, (_, i) => `w${i}`).join(' ');
  const tooManyAttrs = Array.from({ length: 21 }, (_, i) => `attr.k${i}=v`).join('&');
  for (const query of [
    'severity=loud',
    'limit=0',
    'limit=1001',
    'traceId=xyz',
    `traceId=${'0'.repeat(31)}`,
    'spanId=123',
    'unknown=1',
    'cursor=bogus',
    `q=${encodeURIComponent(tooManyWords)}`,
    `q=${'a'.repeat(1025)}`,
    'q=a%00b',
    tooManyAttrs,
    `start=${now - 8 * 24 * 3_600_000}`,
    `start=${now}&end=${now - 1}`,
    'start=yesterday',
  ]) {
    const response = await get(`/api/v1/logs?${query}`);
    t.equal(response.status, 400, query.slice(0, 60));
    t.match(response.body, { error: { code: 'INVALID_ARGUMENT' } });
  }
  t.equal((await get(`/api/v1/logs?start=${now - 7 * 24 * 3_600_000 + 60_000}`)).status, 200, 'seven days is allowed');
});

t.test('the logs of a trace, oldest first, with truncation headers', async (t) => {
  const all = await get(`/api/v1/traces/${traceId.toString('hex')}/logs`);
  t.equal(all.status, 200);
  t.equal(recordsOf(all.body as LogsDataJson).length, 26);
  t.equal(recordsOf(all.body as LogsDataJson)[0]?.timeUnixNano, t0.toString(), 'oldest first');
  t.match(all.headers, { 'x-logs-truncated': 'false', 'x-logs-total-records': '26', 'x-logs-returned-records': '26' });
  const cut = await get(`/api/v1/traces/${traceId.toString('hex').toUpperCase()}/logs?limit=3`);
  t.equal(cut.status, 200);
  t.strictSame(
    recordsOf(cut.body as LogsDataJson).map((record) => record.timeUnixNano),
    [t0, t0 + SECOND, t0 + 2n * SECOND].map(String),
  );
  t.match(cut.headers, { 'x-logs-truncated': 'true', 'x-logs-total-records': '26', 'x-logs-returned-records': '3' });
  const none = await get(`/api/v1/traces/${newTraceId().toString('hex')}/logs`);
  t.equal(none.status, 200);
  t.strictSame(none.body, { resourceLogs: [] });
  t.match(none.headers, { 'x-logs-truncated': 'false', 'x-logs-total-records': '0' });
  for (const url of [`/api/v1/traces/${traceId.toString('hex')}/logs?limit=10001`, '/api/v1/traces/abc/logs', `/api/v1/traces/${traceId.toString('hex')}/logs?q=x`]) {
    t.equal((await get(url)).status, 400, url);
  }
});

t.test("another site's key finds nothing", async (t) => {
  const search = await get(`/api/v1/logs?start=${now - 3 * 3_600_000}&limit=1000`, keyB);
  t.equal(search.status, 200);
  t.strictSame(search.body, { resourceLogs: [], nextCursor: null });
  const byTrace = await get(`/api/v1/logs?traceId=${traceId.toString('hex')}`, keyB);
  t.strictSame(byTrace.body, { resourceLogs: [], nextCursor: null });
  const trace = await get(`/api/v1/traces/${traceId.toString('hex')}/logs`, keyB);
  t.equal(trace.status, 200);
  t.strictSame(trace.body, { resourceLogs: [] });
  t.equal(trace.headers['x-logs-total-records'], '0');
});

t.test('the OpenAPI document describes both routes', async (t) => {
  const doc = (await get('/api/v1/openapi.json')).body as { paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }> };
  const search = doc.paths['/api/v1/logs']?.get;
  t.ok(search, 'GET /api/v1/logs');
  t.strictSame(
    (search?.parameters ?? []).map((p) => p.name).sort(),
    ['cursor', 'end', 'limit', 'q', 'service', 'severity', 'spanId', 'start', 'traceId'].sort(),
  );
  t.ok(doc.paths['/api/v1/traces/{traceId}/logs']?.get, 'GET /api/v1/traces/{traceId}/logs');
});
