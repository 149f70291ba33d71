// Covers the collector's lifecycle rules: start resolves once both ports
// listen and reports them (0 = ephemeral); start is refused twice or after
// shutdown; shutdown is safe twice and before start; a half-started
// collector (a port taken) closes what it opened and rejects; shutdown waits
// for running exports (HTTP and gRPC) so what is acknowledged is written,
// and refuses new ones.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { createCollector } from '../src/receivers/collector.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import type { RowBatch, Sink, WriteResult } from '../src/sink/sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest, silentLogger } from './helpers/fixtures.ts';
import { traceExportClient } from './helpers/grpc-client.ts';

const base = { keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0 };
const body = JSON.stringify(jsonRequest([jsonSpan()]));
const headers = { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' };

/** A sink whose writes wait until release() is called. */
class GatedSink implements Sink {
  readonly written: RowBatch[] = [];
  readonly #gate = Promise.withResolvers<void>();
  readonly #entered = Promise.withResolvers<void>();

  async write(batch: RowBatch): Promise<WriteResult> {
    this.#entered.resolve();
    await this.#gate.promise;
    this.written.push(batch);
    return { rejected: 0, message: '' };
  }

  entered(): Promise<void> {
    return this.#entered.promise;
  }

  release(): void {
    this.#gate.resolve();
  }
}

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
  await sink.entered();

  const stopping = collector.shutdown();
  t.notOk(await settled(stopping), 'shutdown waits while the write is pending');
  await t.rejects(fetch(url, { method: 'POST', headers, body }), 'no new connections once shutdown began');

  sink.release();
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
  await sink.entered();

  const stopping = collector.shutdown();
  t.notOk(await settled(stopping), 'shutdown waits while the write is pending');
  sink.release();
  t.equal((await exporting).error, null, 'the running export is acknowledged');
  await stopping;
  t.equal(sink.written.length, 1);
});
