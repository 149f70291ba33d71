// Generated from the API server's route table, so that a route added later is
// covered without anyone remembering to: exactly /healthz, /readyz and the
// OpenAPI document are public; every other route (GET, HEAD, POST) refuses a
// missing, malformed, unknown or revoked key (401) and a key without the read
// scope (403), shows another site's read key none of this site's data (404 or
// empty lists), rejects NUL in each of its string parameters and in its path
// (400), bounds the length of each, and rejects 1,000 attr.* filters (400).
// A secured route without sample parameters below fails the test.
import t from 'tap';
import { apiRoutes, type ApiRoute } from '../src/api/server.ts';
import { createApiKey, revokeApiKey } from '../src/store/api-keys.ts';
import { insertLogRows, logRow } from './helpers/log-rows.ts';
import { attr, metricPoint } from './helpers/metric-rows.ts';
import { nanos, newSpanId, newTraceId, SECOND, spanRow } from './helpers/query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';

const { db, siteA, keyA, keyB, write, sink, app } = await setUpApiTest(t);

// Created and revoked before the server's first request, so no resolver can have seen it live.
const ingestOnly = (await createApiKey(db, { siteId: siteA, scopes: ['ingest'] })).key;
const revoked = await createApiKey(db, { siteId: siteA, scopes: ['read'] });
await revokeApiKey(db, revoked.id);

const traceId = newTraceId();
const start = nanos(new Date(Date.now() - 10 * 60_000));
const rootId = newSpanId();
await write(siteA, [
  spanRow(siteA, {
    traceId,
    spanId: rootId,
    serviceName: 'abuse-svc',
    name: 'abuse-op',
    startTimeUnixNano: start,
    attributes: [{ key: 'abuse.key', value: { stringValue: 'abuse-value' } }],
  }),
  spanRow(siteA, { traceId, parentSpanId: rootId, serviceName: 'abuse-svc', name: 'child', startTimeUnixNano: start + SECOND }),
]);

await insertLogRows(db, [
  logRow(siteA, {
    timestampUnixNano: start + 2n * SECOND,
    serviceName: 'abuse-svc',
    severityNumber: 17,
    body: { stringValue: 'abuse happened' },
    traceId,
    spanId: rootId,
    attributes: [{ key: 'abuse.key', value: { stringValue: 'abuse-value' } }],
  }),
]);

await sink.write({
  signal: 'metrics',
  siteId: siteA,
  rows: [metricPoint(siteA, { metricName: 'abuse.gauge', timeUnixNano: start, doubleValue: 1, attributes: [attr('abuse.key', 'abuse-value')] })],
});

const PUBLIC_ROUTES = ['/healthz', '/readyz', '/api/v1/openapi.json'];

interface RouteSample {
  /** Path parameters that find this site's data. */
  params: Record<string, string>;
  /** Query parameters that find it too; a name for each patternProperties pattern of the route. */
  query: Record<string, string>;
  /** The JSON body of a POST route. */
  body?: object;
}

const range = { start: String(Date.now() - 3_600_000), end: String(Date.now() + 60_000) };
const samples: Record<string, RouteSample> = {
  '/api/v1/traces/:traceId': { params: { traceId: traceId.toString('hex') }, query: { limit: '100' } },
  '/api/v1/traces': {
    params: {},
    query: { ...range, service: 'abuse-svc', operation: 'abuse-op', 'attr.abuse.key': 'abuse-value', status: 'unset', minDuration: '1ns', maxDuration: '1h', limit: '10' },
  },
  '/api/v1/services': { params: {}, query: range },
  '/api/v1/service-map': { params: {}, query: range },
  '/api/v1/logs': {
    params: {},
    query: {
      ...range,
      q: 'abuse -nothing "abuse happened"',
      severity: 'warn',
      service: 'abuse-svc',
      traceId: traceId.toString('hex'),
      spanId: rootId.toString('hex'),
      'attr.abuse.key': 'abuse-value',
      limit: '10',
    },
  },
  '/api/v1/traces/:traceId/logs': { params: { traceId: traceId.toString('hex') }, query: { limit: '100' } },
  '/api/v1/services/:service/operations': { params: { service: 'abuse-svc' }, query: range },
  '/api/v1/metrics': { params: {}, query: range },
  '/api/v1/metrics/:name/attributes/:key/values': { params: { name: 'abuse.gauge', key: 'abuse.key' }, query: range },
  '/api/v1/metrics/query': {
    params: {},
    query: {},
    body: {
      ...range,
      metric: 'abuse.gauge',
      filters: [{ key: 'abuse.key', op: 'eq', value: 'abuse-value' }],
      groupBy: ['service.name'],
      aggregation: 'avg',
      step: 60,
    },
  },
  '/api/v1/services/:service/timeseries': { params: { service: 'abuse-svc' }, query: { ...range, operation: 'abuse-op', step: '5m' } },
};

// Each failed authentication from its own address, so the per-client limit of failures never answers 429 instead.
let clients = 0;
function nextClient(): string {
  clients++;
  return `10.${(clients >> 16) & 255}.${(clients >> 8) & 255}.${clients & 255}`;
}

async function request(route: ApiRoute, url: string, authorization?: string) {
  const body = samples[route.url]?.body;
  const response = await app.inject({
    method: route.method as 'GET' | 'HEAD' | 'POST',
    url,
    headers: authorization === undefined ? {} : { authorization },
    remoteAddress: nextClient(),
    ...(route.method === 'POST' && body !== undefined ? { payload: body } : {}),
  });
  return { status: response.statusCode, body: route.method === 'HEAD' ? undefined : response.json<unknown>() };
}

function urlOf(route: ApiRoute, params: Record<string, string>, query: Record<string, string>, rawPath?: (name: string) => string): string {
  const path = route.url.replace(/:(\w+)/g, (_, name: string) => rawPath?.(name) ?? encodeURIComponent(params[name] ?? ''));
  const search = new URLSearchParams(query).toString();
  return search === '' ? path : `${path}?${search}`;
}

interface ObjectSchema {
  properties?: Record<string, { type?: string; maxLength?: number; enum?: unknown[] }>;
  patternProperties?: Record<string, { type?: string; maxLength?: number }>;
  propertyNames?: { maxLength?: number };
}

/** The string parameters a route's schema declares, by where they go. */
function stringParameters(route: ApiRoute): { params: string[]; query: string[]; patterns: string[] } {
  const params = (route.schema?.params ?? {}) as ObjectSchema;
  const query = (route.schema?.querystring ?? {}) as ObjectSchema;
  const strings = (schema: ObjectSchema) => Object.entries(schema.properties ?? {}).filter(([, p]) => p.type === 'string').map(([name]) => name);
  return { params: strings(params), query: strings(query), patterns: Object.keys(query.patternProperties ?? {}) };
}

/** True when the body holds data: some array in it is not empty. */
function hasData(body: unknown): boolean {
  if (Array.isArray(body)) return body.length > 0;
  if (typeof body === 'object' && body !== null) return Object.values(body).some(hasData);
  return false;
}

const routes = apiRoutes(app);
const secured = routes.filter((route) => !PUBLIC_ROUTES.includes(route.url));

t.test('the route table is what the tests below cover', async (t) => {
  // A GET route has its HEAD twin; a POST route (with a sample body) has none.
  const expected = 2 * PUBLIC_ROUTES.length + Object.values(samples).reduce((n, sample) => n + (sample.body === undefined ? 2 : 1), 0);
  t.ok(routes.length >= expected, `${routes.length} routes found`);
  t.strictSame([...new Set(routes.map((route) => route.method))].sort(), ['GET', 'HEAD', 'POST'], 'GET routes and their HEAD twins, and POST queries');
  for (const route of secured) t.ok(samples[route.url], `${route.method} ${route.url} has sample parameters in this test`);
  for (const url of Object.keys(samples)) t.ok(routes.some((route) => route.url === url), `${url} still exists`);
});

t.test('exactly health and the OpenAPI document are public', async (t) => {
  const open: string[] = [];
  for (const route of routes) {
    const sample = samples[route.url] ?? { params: {}, query: {} };
    const { status } = await request(route, urlOf(route, sample.params, {}));
    if (status !== 401) open.push(`${route.method} ${route.url}`);
  }
  t.strictSame(open.sort(), PUBLIC_ROUTES.flatMap((url) => [`GET ${url}`, `HEAD ${url}`]).sort());
});

for (const route of secured) {
  const name = `${route.method} ${route.url}`;
  const sample = samples[route.url];
  if (sample === undefined) continue; // reported by the route table test
  const url = urlOf(route, sample.params, sample.query);

  t.test(`${name}: the sample finds this site's data with its read key`, async (t) => {
    const { status, body } = await request(route, url, `Bearer ${keyA}`);
    t.equal(status, 200);
    if (route.method !== 'HEAD') t.ok(hasData(body), 'data found, so the checks below mean something');
  });

  t.test(`${name}: 401 without a good key, 403 without the read scope`, async (t) => {
    const unknownKey = `ja_sk_${'A'.repeat(43)}`;
    for (const [what, authorization] of [
      ['no key', undefined],
      ['an empty bearer', 'Bearer'],
      ['a malformed key', 'Bearer not-a-key'],
      ['a key of another scheme', `Basic ${keyA}`],
      ['an unknown key', `Bearer ${unknownKey}`],
      ['a revoked key', `Bearer ${revoked.key}`],
    ] as const) {
      const { status, body } = await request(route, url, authorization);
      t.equal(status, 401, what);
      if (body !== undefined) t.match(body, { error: { code: 'UNAUTHENTICATED' } }, what);
    }
    const { status, body } = await request(route, url, `Bearer ${ingestOnly}`);
    t.equal(status, 403, 'an ingest-only key');
    if (body !== undefined) t.match(body, { error: { code: 'PERMISSION_DENIED' } });
  });

  t.test(`${name}: another site's read key sees none of this site's data`, async (t) => {
    const { status, body } = await request(route, url, `Bearer ${keyB}`);
    t.ok(status === 404 || status === 200, `404 or 200, got ${status}`);
    if (status === 200 && body !== undefined) t.notOk(hasData(body), 'every list empty');
  });

  t.test(`${name}: every string parameter is bounded and refuses NUL`, async (t) => {
    const strings = stringParameters(route);
    const schemaOf = (where: 'params' | 'querystring', param: string) =>
      ((route.schema?.[where] ?? {}) as ObjectSchema).properties?.[param];
    for (const param of strings.params) {
      t.ok(schemaOf('params', param)?.maxLength, `path parameter ${param} has a maxLength`);
      const { status } = await request(route, urlOf(route, { ...sample.params, [param]: `${sample.params[param] ?? ''}\u0000` }, sample.query), `Bearer ${keyA}`);
      t.equal(status, 400, `NUL in path parameter ${param}`);
      const raw = await request(route, urlOf(route, sample.params, sample.query, (name) => (name === param ? '%00' : encodeURIComponent(sample.params[name] ?? ''))), `Bearer ${keyA}`);
      t.equal(raw.status, 400, `%00 as path parameter ${param}`);
    }
    for (const param of strings.query) {
      const schema = schemaOf('querystring', param);
      t.ok(schema?.maxLength !== undefined || schema?.enum !== undefined, `query parameter ${param} is bounded`);
      const { status } = await request(route, urlOf(route, sample.params, { ...sample.query, [param]: `${sample.query[param] ?? 'x'}\u0000` }), `Bearer ${keyA}`);
      t.equal(status, 400, `NUL in query parameter ${param}`);
    }
    const querySchema = (route.schema?.querystring ?? {}) as ObjectSchema;
    for (const pattern of strings.patterns) {
      const example = Object.keys(sample.query).find((param) => new RegExp(pattern, 'u').test(param));
      t.ok(example, `the sample has a parameter named like ${pattern}`);
      if (example === undefined) continue;
      t.ok(querySchema.patternProperties?.[pattern]?.maxLength, `${pattern} values have a maxLength`);
      t.ok(querySchema.propertyNames?.maxLength, 'parameter names have a maxLength');
      const value = await request(route, urlOf(route, sample.params, { ...sample.query, [example]: 'v\u0000' }), `Bearer ${keyA}`);
      t.equal(value.status, 400, `NUL in the value of ${example}`);
      const named = await request(route, urlOf(route, sample.params, { ...sample.query, [`${example}\u0000`]: 'v' }), `Bearer ${keyA}`);
      t.equal(named.status, 400, `NUL in a name like ${example}`);
    }
  });

  t.test(`${name}: 1,000 attr.* filters are refused`, async (t) => {
    const filters = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`attr.k${i}`, 'v']));
    const { status, body } = await request(route, urlOf(route, sample.params, { ...sample.query, ...filters }), `Bearer ${keyA}`);
    t.equal(status, 400);
    if (body !== undefined) t.match(body, { error: { code: 'INVALID_ARGUMENT' } });
  });
}
