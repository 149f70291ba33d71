// Generated from the API server's route table, so that a route added later is
// covered without anyone remembering to: exactly /healthz, /readyz and the
// OpenAPI document are public; every other route (GET, HEAD, POST, PUT, PATCH,
// DELETE) refuses a missing, malformed, unknown or revoked key (401) and a key
// without the scope its sample names (403: read and admin, neither implying
// the other), shows another site's key of that scope none of this site's data
// (404 or empty lists) and changes none of its configuration, rejects NUL in
// each of its string parameters and in its path (400), bounds the length of
// each, and rejects 1,000 attr.* filters (400); every route that takes a body
// refuses one over the size limit (413) and malformed JSON (400), changing
// nothing.
// A secured route without a sample below fails the test.
import t, { type Test } from 'tap';
import type { HTTPMethods } from 'fastify';
import { apiRoutes, buildApiServer, type ApiRoute } from '../src/api/server.ts';
import { parseFunnelDefinition } from '../src/query/analytics/funnels-definition.ts';
import { createFunnel, createGoal, listFunnels, listGoals } from '../src/store/analytics-saved.ts';
import { ApiKeyResolver, createApiKey, revokeApiKey } from '../src/store/api-keys.ts';
import { getSite, updateSite } from '../src/store/sites.ts';
import { insertDrops, insertEvents, insertIdentity, insertSessions } from './helpers/analytics-view-rows.ts';
import { insertLogRows, logRow } from './helpers/log-rows.ts';
import { attr, metricPoint } from './helpers/metric-rows.ts';
import { nanos, newSpanId, newTraceId, SECOND, spanRow } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';
import { testLogger } from './helpers/test-database.ts';

const { db, apiDb, siteA, siteB, write, sink } = await setUpQueryTest(t);

type Scope = 'read' | 'admin';
const keyOf = async (siteId: string, scopes: Array<Scope | 'ingest'>) => (await createApiKey(db, { siteId, scopes })).key;
const keys: Record<'A' | 'B', Record<Scope, string>> = {
  A: { read: await keyOf(siteA, ['read']), admin: await keyOf(siteA, ['admin']) },
  // A key of several scopes is covered too.
  B: { read: await keyOf(siteB, ['ingest', 'read']), admin: await keyOf(siteB, ['admin']) },
};
const ingestOnly = await keyOf(siteA, ['ingest']);
// Created and revoked before the server's first request, so no resolver can have seen it live.
const revoked = await createApiKey(db, { siteId: siteA, scopes: ['read'] });
await revokeApiKey(db, revoked.id);

// As `serve` has it: queries on the read-only API pool, configuration writes on the ingest pool.
const app = await buildApiServer({ db: apiDb, writeDb: db, readinessDb: db, keys: new ApiKeyResolver(db), logger: testLogger() });
t.teardown(() => app.close());

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

// Web analytics of site A: a user's visit (identified, so journeys find it), a goal and funnels, drop counts.
const seen = new Date(Date.now() - 60_000);
const visitorId = 7_001n;
const sessionId = 7_002n;
const user = { userId: 'abuse-user', anonymousId: 'abuse-anon' };
await updateSite(db, siteA, { domains: ['shop.example'] });
await insertSessions(db, siteA, [
  { sessionId, visitorId, startedAt: seen, lastSeenAt: new Date(seen.getTime() + 1_000), ...user, entryPage: '/abuse', pageviews: 1, events: 2, engaged: true, source: 'abuse.example', channel: 'Referral' },
]);
await insertEvents(db, siteA, [
  { time: seen, visitorId, sessionId, pathname: '/abuse', ...user },
  { time: new Date(seen.getTime() + 1_000), name: 'abuse-signup', visitorId, sessionId, pathname: '/abuse', props: { plan: 'pro' }, ...user },
]);
await insertIdentity(db, siteA, { ...user, traits: { plan: 'pro' }, firstSeen: seen });
await insertDrops(db, siteA, [{ day: new Date().toISOString().slice(0, 10), reason: 'bot', count: 3 }]);
const funnelSteps = [{ page: '/abuse' }, { event: 'abuse-signup' }];
await createGoal(db, siteA, 'Visit /abuse', { page: '/abuse' });
const savedFunnel = await createFunnel(db, siteA, 'abuse funnel', parseFunnelDefinition({ steps: funnelSteps }));
const replacedFunnel = await createFunnel(db, siteA, 'abuse funnel to replace', parseFunnelDefinition({ steps: funnelSteps }));

/** What a configuration write could change on site A; a refused request must leave it as it was. */
async function configurationOfA() {
  return { site: await getSite(db, siteA), goals: await listGoals(db, siteA), funnels: await listFunnels(db, siteA) };
}

const PUBLIC_ROUTES = ['/healthz', '/readyz', '/api/v1/openapi.json'];

interface RouteSample {
  /** The scope a key needs: read for queries, admin for configuration writes (neither implies the other). */
  scope: Scope;
  /** Path parameters that find this site's data. */
  params: Record<string, string>;
  /** Query parameters that find it too; a name for each patternProperties pattern of the route. */
  query: Record<string, string>;
  /** The JSON body. */
  body?: object;
  /** The status of the sample's request: 200 unless it creates (201) or removes (204). */
  status?: 201 | 204;
  /**
   * What the answer must match (t.match) where a non-empty list proves nothing
   * (an answer with lists whatever the data: the query's echo, a funnel's steps).
   * Counts are of visitors: the realtime sample adds events of the same visitor.
   */
  finds?: object;
  /**
   * Makes, just before each subtest, what the request finds, and gives the path
   * parameters naming it (in place of `params`): what a DELETE removes, events
   * recent enough for the realtime view.
   */
  fresh?: () => Promise<Record<string, string>>;
}

const rangeMs = { start: Date.now() - 3_600_000, end: Date.now() + 3_600_000 };
const range = { start: String(rangeMs.start), end: String(rangeMs.end) };
const dateRange = [new Date(rangeMs.start).toISOString(), new Date(rangeMs.end).toISOString()];
const samples: Record<string, RouteSample> = {
  'GET /api/v1/traces/:traceId': { scope: 'read', params: { traceId: traceId.toString('hex') }, query: { limit: '100' } },
  'GET /api/v1/traces': {
    scope: 'read',
    params: {},
    query: { ...range, service: 'abuse-svc', operation: 'abuse-op', 'attr.abuse.key': 'abuse-value', status: 'unset', minDuration: '1ns', maxDuration: '1h', limit: '10' },
  },
  'GET /api/v1/services': { scope: 'read', params: {}, query: range },
  'GET /api/v1/service-map': { scope: 'read', params: {}, query: range },
  'GET /api/v1/logs': {
    scope: 'read',
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
  'GET /api/v1/traces/:traceId/logs': { scope: 'read', params: { traceId: traceId.toString('hex') }, query: { limit: '100' } },
  'GET /api/v1/services/:service/operations': { scope: 'read', params: { service: 'abuse-svc' }, query: range },
  'GET /api/v1/metrics': { scope: 'read', params: {}, query: range },
  'GET /api/v1/metrics/:name/attributes/:key/values': { scope: 'read', params: { name: 'abuse.gauge', key: 'abuse.key' }, query: range },
  'POST /api/v1/metrics/query': {
    scope: 'read',
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
  'GET /api/v1/services/:service/timeseries': { scope: 'read', params: { service: 'abuse-svc' }, query: { ...range, operation: 'abuse-op', step: '5m' } },
  // Bodies that name site A where an answer always holds lists (the query's echo, a funnel's steps): another site's key gets 404.
  'POST /api/v1/analytics/query': {
    scope: 'read',
    params: {},
    query: {},
    body: { site: siteA, metrics: ['visitors'], date_range: dateRange, dimensions: ['event:page', 'visit:source'], filters: [['is', 'event:page', ['/abuse']]] },
    finds: { results: [{ dimensions: ['/abuse', 'abuse.example'], metrics: [1] }] },
  },
  'GET /api/v1/analytics/realtime': {
    scope: 'read',
    params: {},
    query: {},
    // The realtime view shows the last five minutes: a pageview of just now, however long the subtests before took.
    fresh: async () => {
      await insertEvents(db, siteA, [{ time: new Date(Date.now() - 1_000), visitorId, sessionId, pathname: '/abuse', ...user }]);
      return {};
    },
  },
  'GET /api/v1/analytics/goals': { scope: 'read', params: {}, query: {} },
  'GET /api/v1/analytics/goals/conversions': {
    scope: 'read',
    params: {},
    query: { date_range: dateRange.join(',') },
    finds: { visitors: 1, goals: [{ name: 'Visit /abuse', visitors: 1 }] },
  },
  'POST /api/v1/analytics/funnels': {
    scope: 'read',
    params: {},
    query: {},
    body: { site: siteA, steps: funnelSteps, window: '1h', date_range: dateRange },
    finds: { steps: [{ visitors: 1 }, { visitors: 1 }] },
  },
  'GET /api/v1/analytics/funnels/saved': { scope: 'read', params: {}, query: {} },
  'POST /api/v1/analytics/funnels/saved/:id/run': {
    scope: 'read',
    params: { id: savedFunnel.id },
    query: {},
    body: { date_range: dateRange },
    finds: { steps: [{ visitors: 1 }, { visitors: 1 }] },
  },
  'GET /api/v1/analytics/users/:userId': { scope: 'read', params: { userId: user.userId }, query: {} },
  'GET /api/v1/analytics/users/:userId/events': { scope: 'read', params: { userId: user.userId }, query: { limit: '10' } },
  'GET /api/v1/analytics/sessions/:sessionId': { scope: 'read', params: { sessionId: sessionId.toString() }, query: {} },
  'GET /api/v1/sites/:id': { scope: 'read', params: { id: siteA }, query: {} },
  'GET /api/v1/analytics/dropped': { scope: 'read', params: {}, query: { date_range: dateRange.join(',') } },
  'POST /api/v1/analytics/goals': {
    scope: 'admin',
    params: {},
    query: {},
    body: { site: siteA, name: 'abuse signup', event: 'abuse-signup', props: { plan: 'pro' } },
    status: 201,
  },
  'DELETE /api/v1/analytics/goals/:id': {
    scope: 'admin',
    params: { id: '1' },
    query: {},
    status: 204,
    fresh: async () => ({ id: (await createGoal(db, siteA, 'goal to delete', { page: '/gone' })).id }),
  },
  'POST /api/v1/analytics/funnels/saved': { scope: 'admin', params: {}, query: {}, body: { site: siteA, name: 'abuse funnel, saved', steps: funnelSteps }, status: 201 },
  // The same name and steps every time, so the funnel is the same whichever subtests ran.
  'PUT /api/v1/analytics/funnels/saved/:id': { scope: 'admin', params: { id: replacedFunnel.id }, query: {}, body: { name: 'abuse funnel, replaced', steps: funnelSteps, window: '2h' } },
  'DELETE /api/v1/analytics/funnels/saved/:id': {
    scope: 'admin',
    params: { id: '1' },
    query: {},
    status: 204,
    fresh: async () => ({ id: (await createFunnel(db, siteA, 'funnel to delete', parseFunnelDefinition({ steps: funnelSteps }))).id }),
  },
  // The domains site A has already: the settings stay as they were.
  'PATCH /api/v1/sites/:id': { scope: 'admin', params: { id: siteA }, query: {}, body: { domains: ['shop.example'] } },
};

/** A HEAD route is its GET route's twin and shares its sample. */
function sampleName(route: ApiRoute): string {
  return `${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`;
}

// Each failed authentication from its own address, so the per-client limit of failures never answers 429 instead.
let clients = 0;
function nextClient(): string {
  clients++;
  return `10.${(clients >> 16) & 255}.${(clients >> 8) & 255}.${clients & 255}`;
}

async function request(route: ApiRoute, url: string, authorization?: string) {
  const body = samples[sampleName(route)]?.body;
  const response = await app.inject({
    method: route.method as HTTPMethods,
    url,
    headers: authorization === undefined ? {} : { authorization },
    remoteAddress: nextClient(),
    ...(body === undefined ? {} : { payload: body }),
  });
  return { status: response.statusCode, body: response.body === '' ? undefined : response.json<unknown>() };
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
  // A GET route has its HEAD twin; other methods have none.
  const expected = 2 * PUBLIC_ROUTES.length + Object.keys(samples).reduce((n, name) => n + (name.startsWith('GET ') ? 2 : 1), 0);
  t.equal(routes.length, expected, 'every route is public or has a sample');
  t.strictSame(
    [...new Set(routes.map((route) => route.method))].sort(),
    ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'],
    'GET routes and their HEAD twins, POST queries and configuration writes (POST, PUT, PATCH, DELETE)',
  );
  for (const route of secured) t.ok(samples[sampleName(route)], `${route.method} ${route.url} has a sample in this test`);
  for (const name of Object.keys(samples)) t.ok(routes.some((route) => `${route.method} ${route.url}` === name), `${name} still exists`);
});

t.test('exactly health and the OpenAPI document are public', async (t) => {
  const open: string[] = [];
  for (const route of routes) {
    const sample = samples[sampleName(route)] ?? { params: {}, query: {} };
    const { status } = await request(route, urlOf(route, sample.params, {}));
    if (status !== 401) open.push(`${route.method} ${route.url}`);
  }
  t.strictSame(open.sort(), PUBLIC_ROUTES.flatMap((url) => [`GET ${url}`, `HEAD ${url}`]).sort());
});

for (const route of secured) {
  const name = `${route.method} ${route.url}`;
  const sample = samples[sampleName(route)];
  if (sample === undefined) continue; // reported by the route table test
  const key = keys.A[sample.scope];
  const otherScope: Scope = sample.scope === 'read' ? 'admin' : 'read';
  /** The sample's path parameters, naming what was made for this subtest if the sample makes something. */
  const paramsNow = async () => (sample.fresh === undefined ? sample.params : await sample.fresh());
  /** Runs `refused` and checks that site A's configuration is as it was. */
  const changesNothing = async (t: Test, refused: () => Promise<void>) => {
    const before = await configurationOfA();
    await refused();
    t.strictSame(await configurationOfA(), before, "site A's configuration unchanged");
  };

  t.test(`${name}: the sample finds this site's data with a ${sample.scope} key`, async (t) => {
    const { status, body } = await request(route, urlOf(route, await paramsNow(), sample.query), `Bearer ${key}`);
    t.equal(status, route.method === 'HEAD' ? 200 : (sample.status ?? 200));
    if (route.method === 'HEAD' || sample.status === 204) t.equal(body, undefined, 'no body');
    else if (sample.status === 201) t.match(body, { id: /^[0-9]+$/ }, 'the new row');
    else t.ok(hasData(body), 'data found, so the checks below mean something');
    if (route.method !== 'HEAD' && sample.finds !== undefined) t.match(body, sample.finds, "site A's data in the answer");
  });

  t.test(`${name}: 401 without a good key, 403 without the ${sample.scope} scope`, async (t) => {
    const url = urlOf(route, await paramsNow(), sample.query);
    await changesNothing(t, async () => {
      const unknownKey = `ja_sk_${'A'.repeat(43)}`;
      for (const [what, authorization] of [
        ['no key', undefined],
        ['an empty bearer', 'Bearer'],
        ['a malformed key', 'Bearer not-a-key'],
        ['a key of another scheme', `Basic ${key}`],
        ['an unknown key', `Bearer ${unknownKey}`],
        ['a revoked key', `Bearer ${revoked.key}`],
      ] as const) {
        const { status, body } = await request(route, url, authorization);
        t.equal(status, 401, what);
        if (body !== undefined) t.match(body, { error: { code: 'UNAUTHENTICATED' } }, what);
      }
      for (const [what, other] of [
        ['an ingest-only key', ingestOnly],
        [`a key of site A with the ${otherScope} scope only`, keys.A[otherScope]],
      ] as const) {
        const { status, body } = await request(route, url, `Bearer ${other}`);
        t.equal(status, 403, what);
        if (body !== undefined) t.match(body, { error: { code: 'PERMISSION_DENIED' } }, what);
      }
    });
  });

  t.test(`${name}: another site's ${sample.scope} key sees none of this site's data`, async (t) => {
    const url = urlOf(route, await paramsNow(), sample.query);
    await changesNothing(t, async () => {
      const { status, body } = await request(route, url, `Bearer ${keys.B[sample.scope]}`);
      t.ok(status === 404 || status === 200, `404 or 200, got ${status}`);
      if (status === 200 && body !== undefined) t.notOk(hasData(body), 'every list empty');
    });
  });

  t.test(`${name}: every string parameter is bounded and refuses NUL`, async (t) => {
    const params = await paramsNow();
    const strings = stringParameters(route);
    const schemaOf = (where: 'params' | 'querystring', param: string) =>
      ((route.schema?.[where] ?? {}) as ObjectSchema).properties?.[param];
    await changesNothing(t, async () => {
      for (const param of strings.params) {
        t.ok(schemaOf('params', param)?.maxLength, `path parameter ${param} has a maxLength`);
        const { status } = await request(route, urlOf(route, { ...params, [param]: `${params[param] ?? ''}\u0000` }, sample.query), `Bearer ${key}`);
        t.equal(status, 400, `NUL in path parameter ${param}`);
        const raw = await request(route, urlOf(route, params, sample.query, (name) => (name === param ? '%00' : encodeURIComponent(params[name] ?? ''))), `Bearer ${key}`);
        t.equal(raw.status, 400, `%00 as path parameter ${param}`);
      }
      for (const param of strings.query) {
        const schema = schemaOf('querystring', param);
        t.ok(schema?.maxLength !== undefined || schema?.enum !== undefined, `query parameter ${param} is bounded`);
        const { status } = await request(route, urlOf(route, params, { ...sample.query, [param]: `${sample.query[param] ?? 'x'}\u0000` }), `Bearer ${key}`);
        t.equal(status, 400, `NUL in query parameter ${param}`);
      }
      const querySchema = (route.schema?.querystring ?? {}) as ObjectSchema;
      for (const pattern of strings.patterns) {
        const example = Object.keys(sample.query).find((param) => new RegExp(pattern, 'u').test(param));
        t.ok(example, `the sample has a parameter named like ${pattern}`);
        if (example === undefined) continue;
        t.ok(querySchema.patternProperties?.[pattern]?.maxLength, `${pattern} values have a maxLength`);
        t.ok(querySchema.propertyNames?.maxLength, 'parameter names have a maxLength');
        const value = await request(route, urlOf(route, params, { ...sample.query, [example]: 'v\u0000' }), `Bearer ${key}`);
        t.equal(value.status, 400, `NUL in the value of ${example}`);
        const named = await request(route, urlOf(route, params, { ...sample.query, [`${example}\u0000`]: 'v' }), `Bearer ${key}`);
        t.equal(named.status, 400, `NUL in a name like ${example}`);
      }
    });
  });

  t.test(`${name}: 1,000 attr.* filters are refused`, async (t) => {
    const params = await paramsNow();
    const filters = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`attr.k${i}`, 'v']));
    await changesNothing(t, async () => {
      const { status, body } = await request(route, urlOf(route, params, { ...sample.query, ...filters }), `Bearer ${key}`);
      t.equal(status, 400);
      if (body !== undefined) t.match(body, { error: { code: 'INVALID_ARGUMENT' } });
    });
  });

  if (sample.body !== undefined) {
    t.test(`${name}: a body over the size limit is a 413, malformed JSON a 400`, async (t) => {
      const url = urlOf(route, await paramsNow(), sample.query);
      const send = (payload: string) =>
        app.inject({
          method: route.method as HTTPMethods,
          url,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          remoteAddress: nextClient(),
          payload,
        });
      await changesNothing(t, async () => {
        const tooLarge = await send(JSON.stringify({ ...sample.body, padding: 'x'.repeat(2 * 1024 * 1024) }));
        t.equal(tooLarge.statusCode, 413);
        t.match(tooLarge.json(), { error: { message: /.+/ } });
        const malformed = await send('{"date_range": ');
        t.equal(malformed.statusCode, 400);
        t.match(malformed.json(), { error: { code: 'INVALID_ARGUMENT', message: /.+/ } });
      });
    });
  }
}
