// Covers the OTLP/HTTP receiver's time limits: a client that sends part of a
// body and stalls (slow loris) is cut off after requestTimeoutMs with its
// memory given back, a client that never finishes its headers is cut off too,
// and a prompt request on another connection is served meanwhile.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { MemoryBudget } from '../src/receivers/memory-budget.ts';
import { createOtlpHttpServer } from '../src/receivers/otlp-http.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, silentLogger } from './helpers/fixtures.ts';

const body = Buffer.from(JSON.stringify(jsonRequest([jsonSpan()])));

async function listening(t: Test, requestTimeoutMs: number, memoryBudget = new MemoryBudget(1 << 20)) {
  const app = await createOtlpHttpServer({ sink: new MemorySink(), keys, logger: silentLogger, requestTimeoutMs, memoryBudget });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('not listening');
  return { port: address.port, memoryBudget };
}

/** Opens a raw connection and writes `text`; resolves with what the server sent once it closes the connection. */
function stalledClient(port: number, text: string | Buffer): { socket: Socket; closed: Promise<{ reply: string; ms: number }> } {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  socket.write(text);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<{ reply: string; ms: number }>((resolve) => {
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ reply: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - started }));
  });
  return { socket, closed };
}

t.test('a body that stalls halfway is cut off and its memory given back', async (t) => {
  const { port, memoryBudget } = await listening(t, 600);
  const head =
    `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${INGEST_KEY}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const client = stalledClient(port, Buffer.concat([Buffer.from(head), body.subarray(0, body.length >> 1)]));
  // Half the body was reserved while it streamed in.
  while (memoryBudget.reserved === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  t.ok(memoryBudget.reserved > 0, 'the partial body holds memory while it arrives');

  // Meanwhile a prompt client is served.
  const response = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
    body,
  });
  t.equal(response.status, 200, 'another client is served while one stalls');

  const { reply } = await client.closed;
  t.match(reply, /^HTTP\/1\.1 408/, 'the stalled request is answered 408 before its connection is closed');
  t.equal(memoryBudget.reserved, 0, 'what the stalled body held is given back');
});

t.test('headers that never end are cut off', async (t) => {
  const { port } = await listening(t, 600);
  const client = stalledClient(port, `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
  const { reply } = await client.closed;
  t.match(reply, /^HTTP\/1\.1 408/, 'answered 408 and closed');
});

t.test('requestTimeoutMs is validated', async (t) => {
  await t.rejects(createOtlpHttpServer({ sink: new MemorySink(), keys, logger: silentLogger, requestTimeoutMs: 0 }), /requestTimeoutMs must be a positive integer/);
});
