// Covers OTLP/HTTP over real sockets: a gzip bomb (tiny on the wire, 2 GiB
// inflated) answered 413 while the process's memory stays far below the
// bomb's size; oversized bodies with and without Content-Length answered
// 413; the server keeps serving afterwards; a request refused unread closes
// its connection.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import t from 'tap';
import { INGEST_KEY, jsonRequest, jsonSpan } from './helpers/fixtures.ts';
import { buildHttpApp } from './helpers/http-app.ts';

const MiB = 1024 * 1024;

async function listening(maxRequestBytes: number) {
  const { app, sink } = await buildHttpApp({ maxRequestBytes });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/traces`;
  return { app, sink, url };
}

const headers = { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' };
const goodBody = JSON.stringify(jsonRequest([jsonSpan()]));

t.test('a gzip bomb is refused with 413 without inflating it', async (t) => {
  const { app, sink, url } = await listening(16 * MiB);
  t.teardown(() => app.close());
  // Multi-member gzip: 128 members of 16 MiB of zeros each.
  const member = zlib.gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  const bomb = Buffer.concat(Array.from({ length: 128 }, () => member));
  t.ok(bomb.length < 4 * MiB, `${(bomb.length / MiB).toFixed(1)} MiB on the wire, 2048 MiB inflated`);

  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-encoding': 'gzip' }, body: bomb });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());

  t.equal(response.status, 413);
  t.match(await response.json(), { code: 8, message: /exceeds the limit/ });
  t.ok(peak - before < 512 * MiB, `memory grew by ${Math.round((peak - before) / MiB)} MiB`);
  t.equal(sink.batches.length, 0);

  const next = await fetch(url, { method: 'POST', headers, body: goodBody });
  t.equal(next.status, 200, 'the server keeps serving');
});

t.test('an oversized body with a Content-Length', async (t) => {
  const { app, url } = await listening(1 * MiB);
  t.teardown(() => app.close());
  const response = await fetch(url, { method: 'POST', headers, body: Buffer.alloc(2 * MiB, 0x20) });
  t.equal(response.status, 413);
  t.equal(response.headers.get('connection'), 'close');
  t.equal((await fetch(url, { method: 'POST', headers, body: goodBody })).status, 200);
});

t.test('an oversized chunked body, without a Content-Length', async (t) => {
  const { app, url } = await listening(64 * 1024);
  t.teardown(() => app.close());
  const status = await new Promise<number>((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    let sent = 0;
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const pump = (): void => {
      while (sent < 512 * 1024) {
        sent += chunk.length;
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
      request.end();
    };
    pump();
  });
  t.equal(status, 413);
  t.equal((await fetch(url, { method: 'POST', headers, body: goodBody })).status, 200);
});

t.test('a request refused before its body is read closes its connection', async (t) => {
  const { app, url } = await listening(16 * MiB);
  t.teardown(() => app.close());
  // Left open, such a connection is neither reusable nor idle, and would hold
  // up shutdown until the keep-alive timeout.
  const response = await fetch(url, { method: 'POST', headers: { ...headers, authorization: 'Bearer ja_sk_unknown' }, body: goodBody });
  t.equal(response.status, 401);
  t.equal(response.headers.get('connection'), 'close');
  await response.arrayBuffer();
  const ok = await fetch(url, { method: 'POST', headers, body: goodBody });
  t.equal(ok.status, 200);
  t.not(ok.headers.get('connection'), 'close', 'a request whose body was read keeps its connection');
  await ok.arrayBuffer();
});
