// Covers failed authentications limited per client on both receivers: past
// its allowance a client gets 429 with Retry-After (HTTP) or
// RESOURCE_EXHAUSTED with RetryInfo (gRPC) instead of 401 / UNAUTHENTICATED,
// while a good key from that very client still passes, as does another client
// (behind a trusted proxy, told apart by X-Forwarded-For); failures on either
// receiver count together, as they share the resolver's limiter; a flood of
// bad keys is logged at debug, like the failures, without address or key.
import { Writable } from 'node:stream';
import { Client, credentials, Metadata, status as GrpcCode } from '@grpc/grpc-js';
import { pino } from 'pino';
import t from 'tap';
import { FailedAuthLimiter } from '../src/auth/failed-auth-limiter.ts';
import { StaticKeyResolver } from '../src/auth/static-key-resolver.ts';
import { createOtlpGrpcServer } from '../src/receivers/otlp-grpc.ts';
import { createOtlpHttpServer } from '../src/receivers/otlp-http.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, protobufRequest, READ_ONLY_KEY, SITE_ID, silentLogger } from './helpers/fixtures.ts';
import { traceExportClient, type TraceExportClient } from './helpers/grpc-client.ts';

const BURST = 5;

function resolver(): StaticKeyResolver {
  return new StaticKeyResolver(
    [
      [INGEST_KEY, { keyId: 'key-ingest', siteId: SITE_ID, scopes: ['ingest'] }],
      [READ_ONLY_KEY, { keyId: 'key-read', siteId: SITE_ID, scopes: ['read'] }],
    ],
    // Slow enough to refill nothing while a test runs.
    { failedAuthentications: new FailedAuthLimiter({ burst: BURST, failuresPerSecond: 0.1 }) },
  );
}

const jsonBody = JSON.stringify(jsonRequest([jsonSpan()]));

t.test('OTLP/HTTP: 429 past the allowance, per client behind a trusted proxy, never for a good key', async (t) => {
  const keys = resolver();
  const app = await createOtlpHttpServer({ sink: new MemorySink(), keys, logger: silentLogger, trustedProxies: ['127.0.0.1'] });
  t.teardown(() => app.close());
  const post = (client: string, authorization: string | null) =>
    app.inject({
      method: 'POST',
      url: '/v1/traces',
      remoteAddress: '127.0.0.1',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client, ...(authorization === null ? {} : { authorization }) },
      payload: jsonBody,
    });

  const failures = [null, 'Bearer ja_sk_unknown', 'Basic abc', 'Bearer not-a-key', 'Bearer ja_sk_other'];
  for (const authorization of failures) t.equal((await post('198.51.100.1', authorization)).statusCode, 401, String(authorization));
  const throttled = await post('198.51.100.1', 'Bearer ja_sk_unknown');
  t.equal(throttled.statusCode, 429);
  t.equal(throttled.headers['retry-after'], '10', 'the wait for the next allowed failure');
  t.same(throttled.json(), {
    code: GrpcCode.RESOURCE_EXHAUSTED,
    message: 'too many requests with a missing or unknown API key, retry later',
    details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '10s' }],
  });
  t.equal((await post('198.51.100.1', null)).statusCode, 429, 'no key at all: throttled too');

  t.equal((await post('198.51.100.1', `Bearer ${INGEST_KEY}`)).statusCode, 200, 'a good key from the throttled client passes');
  t.equal((await post('198.51.100.1', `Bearer ${READ_ONLY_KEY}`)).statusCode, 403, 'a known key without the scope is not a failure to throttle');
  t.equal((await post('198.51.100.2', 'Bearer ja_sk_unknown')).statusCode, 401, 'another client is not throttled');
});

t.test('OTLP/HTTP: without trusted proxies X-Forwarded-For is ignored', async (t) => {
  const app = await createOtlpHttpServer({ sink: new MemorySink(), keys: resolver(), logger: silentLogger });
  t.teardown(() => app.close());
  const post = (client: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/traces',
      remoteAddress: '203.0.113.5',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client, authorization: 'Bearer ja_sk_unknown' },
      payload: jsonBody,
    });
  for (let i = 0; i < BURST; i++) t.equal((await post(`192.0.2.${i}`)).statusCode, 401);
  t.equal((await post('192.0.2.99')).statusCode, 429, 'every request is the proxy itself');
});

t.test('OTLP/HTTP: throttled failures are logged at debug, without address or key', async (t) => {
  const lines: Array<{ level: number }> = [];
  const text: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text.push(chunk.toString());
        for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as { level: number });
        done();
      },
    }),
  );
  const app = await createOtlpHttpServer({ sink: new MemorySink(), keys: resolver(), logger, trustedProxies: ['127.0.0.1'] });
  t.teardown(() => app.close());
  const statuses: number[] = [];
  for (let i = 0; i < BURST + 20; i++) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      remoteAddress: '127.0.0.1',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.77', authorization: 'Bearer ja_sk_secret_guess' },
      payload: jsonBody,
    });
    statuses.push(response.statusCode);
  }
  t.equal(statuses.filter((status) => status === 429).length, 20);
  t.ok(lines.length > 0, 'something was logged');
  t.same(
    lines.filter((line) => line.level >= 40),
    [],
    'no warnings',
  );
  t.notMatch(text.join(''), '198.51.100.77');
  t.notMatch(text.join(''), 'ja_sk_secret_guess');
});

t.test('OTLP/gRPC: RESOURCE_EXHAUSTED with RetryInfo past the allowance, a good key still passes', async (t) => {
  const keys = resolver();
  const sink = new MemorySink();
  const server = createOtlpGrpcServer({ sink, keys, logger: silentLogger });
  // Both loopbacks when the host has IPv6, to play two clients.
  let port: number;
  let dualStack = true;
  try {
    port = await server.listen('::', 0);
  } catch {
    dualStack = false;
    port = await server.listen('127.0.0.1', 0);
  }
  const client = traceExportClient(port);
  t.teardown(async () => {
    client.close();
    await server.close();
  });
  const body = protobufRequest(jsonRequest([jsonSpan()]));

  for (let i = 0; i < BURST; i++) t.equal((await client.export(body, 'ja_sk_unknown')).error?.code, GrpcCode.UNAUTHENTICATED);
  const { error } = await client.export(body, null);
  t.equal(error?.code, GrpcCode.RESOURCE_EXHAUSTED);
  t.equal(error?.details, 'too many requests with a missing or unknown API key, retry later');
  t.ok(error?.metadata.get('grpc-status-details-bin')[0], 'with a google.rpc.Status carrying RetryInfo');
  t.equal((await client.export(body)).error, null, 'a good key from the throttled client passes');
  t.equal(sink.rows().length, 1);

  if (!dualStack) {
    t.comment('no IPv6: the second client is covered over HTTP only');
    return;
  }
  const v6 = clientAt(`[::1]:${port}`);
  t.teardown(() => v6.close());
  const other = await v6.export(body, 'ja_sk_unknown');
  t.equal(other.error?.code, GrpcCode.UNAUTHENTICATED, 'another client is not throttled');
});

t.test('failures on both receivers count together', async (t) => {
  const keys = resolver();
  const app = await createOtlpHttpServer({ sink: new MemorySink(), keys, logger: silentLogger });
  const server = createOtlpGrpcServer({ sink: new MemorySink(), keys, logger: silentLogger });
  const port = await server.listen('127.0.0.1', 0);
  const client = traceExportClient(port);
  t.teardown(async () => {
    client.close();
    await server.close();
    await app.close();
  });
  for (let i = 0; i < BURST; i++) {
    const response = await app.inject({ method: 'POST', url: '/v1/traces', remoteAddress: '127.0.0.1', headers: { 'content-type': 'application/json' }, payload: jsonBody });
    t.equal(response.statusCode, 401);
  }
  t.equal((await client.export(protobufRequest(jsonRequest([jsonSpan()])), null)).error?.code, GrpcCode.RESOURCE_EXHAUSTED);
});

/** Like helpers/grpc-client.ts, which connects to 127.0.0.1 only, for another loopback address. */
function clientAt(target: string): TraceExportClient {
  const identity = (buffer: Buffer): Buffer => buffer;
  const client = new Client(target, credentials.createInsecure());
  return {
    export: (body, key = INGEST_KEY) =>
      new Promise((resolve) => {
        const metadata = new Metadata();
        if (key !== null) metadata.set('authorization', `Bearer ${key}`);
        client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', identity, identity, body, metadata, (error, response) =>
          resolve({ error, response }),
        );
      }),
    close: () => client.close(),
  };
}
