// Covers the collector's lifecycle rules: start resolves once both ports
// listen and reports them (0 = ephemeral); start is refused twice or after
// shutdown; shutdown is safe twice and before start; a half-started
// collector (a port taken) closes what it opened and rejects; shutdown waits
// for running exports (HTTP and gRPC) so what is acknowledged is written,
// and refuses new ones; past its deadline it answers the exports still
// running as unavailable (retryable) instead of waiting forever.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { createCollector } from '../src/receivers/collector.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest, silentLogger } from './helpers/fixtures.ts';
import { traceExportClient } from './helpers/grpc-client.ts';
import { GatedSink } from './helpers/test-doubles.ts';

const base = { keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0 };
const body = JSON.stringify(jsonRequest([jsonSpan()]));
const headers = { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' };


async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function occupy(t: Test): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

async function canBind(port: number): Promise<boolean> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  // Let every queued callback run (a few event loop turns).
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
};

t.test('start reports the ports it got, and both serve', async (t) => {
  const collector = createCollector({ ...base, sink: new MemorySink() });
  const { httpPort, grpcPort } = await collector.start();
  t.teardown(() => collector.shutdown());
  t.ok(httpPort > 0 && grpcPort > 0 && httpPort !== grpcPort);
  t.equal((await fetch(`http://127.0.0.1:${httpPort}/v1/traces`, { method: 'POST', headers, body })).status, 200);
  t.notOk(await canBind(grpcPort), 'the gRPC port is taken');
});

t.test('start is refused twice and after shutdown', async (t) => {
  const collector = createCollector({ ...base, sink: new MemorySink() });
  await collector.start();
  await t.rejects(collector.start(), /called twice/);
  await collector.shutdown();
  const other = createCollector({ ...base, sink: new MemorySink() });
  await other.shutdown();
  await t.rejects(other.start(), /after shutdown/);
});

t.test('shutdown twice, and before start', async (t) => {
  const collector = createCollector({ ...base, sink: new MemorySink() });
  const { httpPort, grpcPort } = await collector.start();
  const first = collector.shutdown();
  const second = collector.shutdown();
  await Promise.all([first, second]);
  await collector.shutdown();
  t.ok(await canBind(httpPort), 'HTTP port released');
  t.ok(await canBind(grpcPort), 'gRPC port released');
  await t.resolves(createCollector({ ...base, sink: new MemorySink() }).shutdown());
});

t.test('shutdown while start is under way', async (t) => {
  const collector = createCollector({ ...base, sink: new MemorySink() });
  const starting = collector.start();
  const stopping = collector.shutdown();
  const { httpPort, grpcPort } = await starting;
  await stopping;
  t.ok(await canBind(httpPort));
  t.ok(await canBind(grpcPort));
});

t.test('a half-started collector closes what it opened and rejects', async (t) => {
  const httpPort = await freePort();
  const grpcPort = await occupy(t);
  const collector = createCollector({ ...base, sink: new MemorySink(), httpPort, grpcPort });
  await t.rejects(collector.start(), /No address added|EADDRINUSE|address already in use/i);
  t.ok(await canBind(httpPort), 'the HTTP port it had opened is released');
  await t.resolves(collector.shutdown(), 'shutdown afterwards is still safe');

  const takenHttp = await occupy(t);
  const freeGrpc = await freePort();
  const other = createCollector({ ...base, sink: new MemorySink(), httpPort: takenHttp, grpcPort: freeGrpc });
  await t.rejects(other.start(), { code: 'EADDRINUSE' });
  t.ok(await canBind(freeGrpc), 'gRPC never started');
});

t.test('invalid options are refused at once', async (t) => {
  t.throws(() => createCollector({ ...base, sink: new MemorySink(), httpPort: 70000 }), TypeError);
  t.throws(() => createCollector({ ...base, sink: new MemorySink(), grpcPort: -1 }), TypeError);
});

t.test('shutdown waits for a running HTTP export, then refuses new ones', async (t) => {
  const sink = new GatedSink();
  const collector = createCollector({ ...base, sink });
  const { httpPort } = await collector.start();
  const url = `http://127.0.0.1:${httpPort}/v1/traces`;
  const exporting = fetch(url, { method: 'POST', headers, body });
  await sink.waitFor(1);

  const stopping = collector.shutdown();
  t.notOk(await settled(stopping), 'shutdown waits while the write is pending');
  await t.rejects(fetch(url, { method: 'POST', headers, body }), 'no new connections once shutdown began');

  sink.open();
  const response = await exporting;
  t.equal(response.status, 200, 'the running export is acknowledged');
  t.equal(response.headers.get('connection'), 'close', 'and its kept-alive connection closed');
  await stopping;
  t.equal(sink.written.length, 1, 'what was acknowledged was written');
});

t.test('shutdown waits for a running gRPC export', async (t) => {
  const sink = new GatedSink();
  const collector = createCollector({ ...base, sink });
  const { grpcPort } = await collector.start();
  const client = traceExportClient(grpcPort);
  t.teardown(() => client.close());
  const exporting = client.export(protobufRequest(jsonRequest([jsonSpan()])));
  await sink.waitFor(1);

  const stopping = collector.shutdown();
  t.notOk(await settled(stopping), 'shutdown waits while the write is pending');
  sink.open();
  t.equal((await exporting).error, null, 'the running export is acknowledged');
  await stopping;
  t.equal(sink.written.length, 1);
});

t.test('shutdown has a deadline: exports still running then are refused retryably', async (t) => {
  const sink = new GatedSink();
  const collector = createCollector({ ...base, sink, shutdownTimeoutMs: 300 });
  const { httpPort, grpcPort } = await collector.start();
  t.teardown(() => sink.open());

  const http = fetch(`http://127.0.0.1:${httpPort}/v1/traces`, { method: 'POST', headers, body });
  await sink.waitFor(1);
  const grpcClient = traceExportClient(grpcPort);
  t.teardown(() => grpcClient.close());
  const grpc = grpcClient.export(protobufRequest(jsonRequest([jsonSpan()])));
  // Let the gRPC export reach the (still closed) sink gate too.
  await new Promise((resolve) => setTimeout(resolve, 100));

  const started = Date.now();
  await collector.shutdown();
  t.ok(Date.now() - started < 5000, 'shutdown ends soon after its deadline although the sink never answers');
  const response = await http;
  t.equal(response.status, 503, 'the HTTP export still running at the deadline gets 503');
  t.equal(response.headers.get('retry-after'), '1', 'with Retry-After');
  const { error } = await grpc;
  t.equal(error?.code, 14, 'the gRPC export gets UNAVAILABLE');
  t.equal(sink.written.length, 0, 'nothing was acknowledged that was not written');
});

t.test('shutdownTimeoutMs and requestTimeoutMs are validated', async (t) => {
  t.throws(() => createCollector({ ...base, sink: new MemorySink(), shutdownTimeoutMs: 0 }), /shutdownTimeoutMs must be a positive integer/);
  t.throws(() => createCollector({ ...base, sink: new MemorySink(), requestTimeoutMs: -1 }), /requestTimeoutMs must be a positive integer/);
});
