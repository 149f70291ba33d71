// Covers GET /api/v1/service-map: through the whole server, the three-service
// trace set exported over OTLP/HTTP in several requests, parents first or
// children first, gives the same map (service, database, cache and external
// nodes with RED; HTTP, database and messaging edges with counts and errors);
// through app.inject, a site sees only its own map, the range defaults to the
// last hour, and bad ranges (too long, end before start, malformed) are 400.
import type { SpanRow } from '@justanalytics/collector';
import t from 'tap';
import { MINUTE, MS, nanos } from './helpers/query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';
import { expectedEdges, otlpJsonBody, threeServiceSpans } from './helpers/service-map-fixtures.ts';
import { startTestServer } from './helpers/test-server.ts';

interface MapBody {
  nodes: Array<{ id: string; name: string; type: string; requestCount: number; errorCount: number; p50: number | null }>;
  edges: Array<{ source: string; target: string; connectionType: string; callCount: number; errorCount: number; p50: number; p95: number; p99: number }>;
}

const typeOf = (target: string): string => expectedEdges.find((edge) => edge.target === target)?.targetType ?? 'service';

/** expectedEdges as the API gives them: node ids, quantiles rounded to the microsecond. */
const expectedMapEdges = expectedEdges.map(({ source, target, targetType, connectionType, callCount, errorCount, p50, p95, p99 }) => ({
  source: `service:${source}`,
  target: `${targetType}:${target}`,
  connectionType,
  callCount,
  errorCount,
  p50,
  p95,
  p99,
}));

const expectedNodes = [
  // Service RED comes from the RED rollups; requests are server and consumer spans (and roots).
  { id: 'service:frontend', requestCount: 3, errorCount: 0 },
  { id: 'service:orders', requestCount: 3, errorCount: 1 },
  { id: 'service:shipping', requestCount: 3, errorCount: 0 },
  { id: 'database:postgresql', requestCount: 3, errorCount: 0 },
  { id: 'cache:redis', requestCount: 3, errorCount: 0 },
  { id: 'external:api.stripe.com', requestCount: 3, errorCount: 1 },
];

function comparable(body: MapBody) {
  const r = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    nodes: body.nodes.map(({ id, requestCount, errorCount }) => ({ id, requestCount, errorCount })),
    edges: body.edges.map((edge) => ({ ...edge, p50: r(edge.p50), p95: r(edge.p95), p99: r(edge.p99) })),
  };
}

function rangeAround(base: bigint): string {
  return `start=${(base - 5n * MINUTE) / MS}&end=${(base + 5n * MINUTE) / MS}`;
}

t.test('spans exported in several requests, in any order, give the same map', async (t) => {
  const server = await startTestServer(t);
  const post = async (rows: SpanRow[]): Promise<void> => {
    const response = await fetch(`${server.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.ingestKey}` },
      body: otlpJsonBody(rows),
    });
    const body = await response.text();
    t.equal(response.status, 200, `export accepted: ${body}`);
    t.notMatch(body, /rejectedSpans/, 'no span rejected');
  };
  const byService = (rows: SpanRow[], service: string) => rows.filter((row) => row.serviceName === service);
  const site = server.siteId;

  // Parents first: frontend, then orders, then shipping; one request per service.
  const first = nanos(new Date(Date.now() - 50 * 60_000));
  const inOrder = threeServiceSpans(site, first);
  for (const service of ['frontend', 'orders', 'shipping']) await post(byService(inOrder, service));

  // Children first, and a trace's spans spread over requests that also carry other traces' spans.
  const second = nanos(new Date(Date.now() - 40 * 60_000));
  const reversed = threeServiceSpans(site, second).reverse();
  await post(byService(reversed, 'shipping'));
  const orders = byService(reversed, 'orders');
  await post(orders.filter((row) => row.kind === 2));
  await post([...byService(reversed, 'frontend').filter((row) => row.kind === 3), ...orders.filter((row) => row.kind !== 2)]);
  await post(byService(reversed, 'frontend').filter((row) => row.kind !== 3));

  for (const [what, base] of [
    ['parents first', first],
    ['children first', second],
  ] as const) {
    const { status, body } = await server.api(`/api/v1/service-map?${rangeAround(base)}`);
    t.equal(status, 200, what);
    const map = comparable(body as MapBody);
    t.strictSame(map.edges, expectedMapEdges, `${what}: edges`);
    t.strictSame(map.nodes, expectedNodes, `${what}: nodes`);
  }
});

t.test('through the API server', async (t) => {
  const { siteA, keyB, write, get } = await setUpApiTest(t);
  const base = nanos(new Date(Date.now() - 40 * 60_000));
  await write(siteA, threeServiceSpans(siteA, base));

  t.test('the map of a site, with service RED and virtual nodes', async (t) => {
    const { status, body } = await get(`/api/v1/service-map?${rangeAround(base)}`);
    t.equal(status, 200);
    const map = body as MapBody;
    t.strictSame(comparable(map).edges, expectedMapEdges);
    t.strictSame(comparable(map).nodes, expectedNodes);
    const orders = map.nodes.find((node) => node.id === 'service:orders');
    t.ok(orders?.p50 !== null && orders?.p50 !== undefined && orders.p50 > 0, 'a service node has its latency');
    t.equal(map.nodes.find((node) => node.id === 'cache:redis')?.p50, null, "a virtual node's latency is on its edges");
    for (const node of map.nodes) t.equal(node.type, node.id.split(':')[0], `${node.id} has its type`);
    for (const node of map.nodes) if (node.type !== 'service') t.equal(node.type, typeOf(node.name));
  });

  t.test('the default range is the last hour', async (t) => {
    const { status, body } = await get('/api/v1/service-map');
    t.equal(status, 200);
    t.equal((body as MapBody).edges.length, expectedMapEdges.length);
  });

  t.test("another site's key sees an empty map", async (t) => {
    const { status, body } = await get(`/api/v1/service-map?${rangeAround(base)}`, keyB);
    t.equal(status, 200);
    t.strictSame(body, { nodes: [], edges: [] });
  });

  t.test('bad ranges are 400 INVALID_ARGUMENT', async (t) => {
    const now = Date.now();
    for (const [what, query] of [
      ['longer than 24 hours', `start=${now - 25 * 3_600_000}&end=${now}`],
      ['end before start', `start=${now}&end=${now - 60_000}`],
      ['end equal to start', `start=${now}&end=${now}`],
      ['a malformed start', 'start=yesterday'],
      ['an unknown parameter', 'service=orders'],
    ] as const) {
      const { status, body } = await get(`/api/v1/service-map?${query}`);
      t.equal(status, 400, what);
      t.match(body, { error: { code: 'INVALID_ARGUMENT' } }, what);
    }
    const { status } = await get(`/api/v1/service-map?start=${now - 24 * 3_600_000}&end=${now}`);
    t.equal(status, 200, 'exactly 24 hours is allowed');
  });
});
