// Covers serviceMapEdges over a real database: the three-service trace set
// gives exactly its edges (HTTP, database, cache, messaging by parent and by
// link, external by URL host) with counts, errors and quantiles; calls inside
// one service, spans naming no peer, stored duplicates and spans outside the
// range do not change it; the range bounds callee start times with slack for
// callers; and a site sees only its own edges.
import t from 'tap';
import { SERVICE_MAP_SLACK_MS } from '../src/query/traces/service-map-calls.ts';
import { serviceMapEdges, type ServiceMapEdge } from '../src/query/traces/service-map-edges.ts';
import { createSite } from '../src/store/sites.ts';
import { MINUTE, MS, nanos, newSpanId, newTraceId, spanRow } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';
import { expectedEdges, threeServiceSpans } from './helpers/service-map-fixtures.ts';

const { db, siteA, siteB, write } = await setUpQueryTest(t);

/** A site of its own for a test, so that its spans meet no other test's. */
const newSite = async (name: string) => (await createSite(db, { name })).id;

const base = nanos(new Date(Date.now() - 30 * 60_000));
const range = { start: new Date(Number((base - 10n * MINUTE) / MS)), end: new Date(Number((base + 10n * MINUTE) / MS)) };

/** Quantiles rounded to the microsecond, so float noise of percentile_cont does not matter. */
function rounded(edges: ServiceMapEdge[]): ServiceMapEdge[] {
  const r = (ms: number) => Math.round(ms * 1000) / 1000;
  return edges.map((edge) => ({ ...edge, p50: r(edge.p50), p95: r(edge.p95), p99: r(edge.p99) }));
}

const rows = threeServiceSpans(siteA, base);
await write(siteA, rows);

t.test('the three-service trace set gives exactly its edges', async (t) => {
  t.strictSame(rounded(await serviceMapEdges(db, siteA, range)), expectedEdges);
});

t.test('stored duplicates count once', async (t) => {
  const site = await newSite('duplicates');
  const spans = threeServiceSpans(site, base);
  await write(site, spans);
  await write(site, spans); // an exporter's retry after a lost reply
  t.strictSame(rounded(await serviceMapEdges(db, site, range)), expectedEdges);
});

t.test('a site sees only its own edges', async (t) => {
  t.strictSame(await serviceMapEdges(db, siteB, range), []);
});

t.test('calls inside one service, unnamed peers and spans out of range make no edge', async (t) => {
  const site = await newSite('no-edges');
  const traceId = newTraceId();
  const client = spanRow(site, { traceId, serviceName: 'solo', kind: 3, name: 'self call', startTimeUnixNano: base });
  await write(site, [
    client,
    // Its only child is in the same service, and it names no peer: no edge at all.
    spanRow(site, { traceId, parentSpanId: client.spanId, serviceName: 'solo', kind: 2, startTimeUnixNano: base + MS }),
    // A client span naming nothing.
    spanRow(site, { serviceName: 'solo', kind: 3, name: 'mystery', startTimeUnixNano: base }),
    // Named, but outside the range.
    spanRow(site, { serviceName: 'solo', kind: 3, startTimeUnixNano: base + 20n * MINUTE, attributes: [{ key: 'peer.service', value: { stringValue: 'late' } }] }),
    // An internal span of another service whose parent is the client span: only server and consumer spans are callees.
    spanRow(site, { traceId, parentSpanId: client.spanId, serviceName: 'other', kind: 1, startTimeUnixNano: base + MS }),
  ]);
  t.strictSame(await serviceMapEdges(db, site, range), []);
});

t.test('the range bounds callees; callers are found a little outside it', async (t) => {
  const site = await newSite('range');
  const start = nanos(range.start);
  const edgeAt = (callerStart: bigint, calleeStart: bigint, service: string) => {
    const traceId = newTraceId();
    const caller = spanRow(site, { traceId, serviceName: 'caller', kind: 3, startTimeUnixNano: callerStart });
    return [caller, spanRow(site, { traceId, parentSpanId: caller.spanId, serviceName: service, kind: 2, startTimeUnixNano: calleeStart })];
  };
  await write(site, [
    ...edgeAt(start - MINUTE, start + MS, 'in'), // caller before the range, callee in it: counted
    ...edgeAt(start - MS, start - MS / 2n, 'before'), // callee before the range: not counted
    ...edgeAt(start - BigInt(SERVICE_MAP_SLACK_MS) * MS - MINUTE, start + MS, 'too-early'), // caller beyond the slack
  ]);
  const edges = await serviceMapEdges(db, site, range);
  t.strictSame(edges.map((e) => `${e.source}->${e.target}`), ['caller->in'], 'only the callee in range, with a caller within the slack');
});

t.test('gRPC calls are rpc; a producer with no consumer goes to its queue', async (t) => {
  const site = await newSite('rpc');
  const traceId = newTraceId();
  const client = spanRow(site, { traceId, serviceName: 'web', kind: 3, startTimeUnixNano: base, attributes: [{ key: 'rpc.system', value: { stringValue: 'grpc' } }] });
  await write(site, [
    client,
    spanRow(site, { traceId, parentSpanId: client.spanId, serviceName: 'users', kind: 2, startTimeUnixNano: base + MS, attributes: [{ key: 'rpc.system', value: { stringValue: 'grpc' } }] }),
    spanRow(site, { serviceName: 'web', kind: 3, startTimeUnixNano: base, attributes: [{ key: 'rpc.system', value: { stringValue: 'grpc' } }, { key: 'peer.service', value: { stringValue: 'Legacy-Billing' } }] }),
    spanRow(site, { serviceName: 'web', kind: 4, spanId: newSpanId(), startTimeUnixNano: base, attributes: [{ key: 'messaging.system', value: { stringValue: 'rabbitmq' } }] }),
  ]);
  const edges = await serviceMapEdges(db, site, range);
  t.strictSame(
    edges.map((e) => [e.source, e.target, e.targetType, e.connectionType, e.callCount]),
    [
      ['web', 'Legacy-Billing', 'external', 'rpc', 1],
      ['web', 'rabbitmq', 'queue', 'messaging', 1],
      ['web', 'users', 'service', 'rpc', 1],
    ],
  );
});
