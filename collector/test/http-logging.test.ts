// Covers the OTLP/HTTP receiver's logs: every request has its own request
// id (never one the client chose), and no log line carries the API key, the
// body, a header or the client's IP address, even when the export fails.
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { createOtlpHttpServer } from '../src/receivers/otlp-http.ts';
import { ErrorSink } from '../src/sink/error-sink.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import type { Sink } from '../src/sink/sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys } from './helpers/fixtures.ts';

const BODY_MARKER = 'body-marker-7f3a';

async function loggedRequests(sink: Sink): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      done();
    },
  });
  const app = await createOtlpHttpServer({ sink, keys, logger: pino({ level: 'trace' }, stream) });
  const body = JSON.stringify(jsonRequest([jsonSpan({ name: BODY_MARKER })]));
  for (let i = 0; i < 2; i++) {
    await app.inject({
      method: 'POST',
      url: '/v1/traces',
      remoteAddress: '203.0.113.77',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.9', 'request-id': 'client-chosen' },
      payload: body,
    });
  }
  await app.inject({ method: 'POST', url: '/v1/traces', remoteAddress: '203.0.113.77', headers: { authorization: 'Bearer ja_sk_wrong_secret', 'content-type': 'application/json' }, payload: body });
  await app.close();
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

for (const [what, sink] of [
  ['a successful export', new MemorySink()],
  ['a failing sink', new ErrorSink(new Error(`storage exploded near ${BODY_MARKER}`))],
] as const) {
  t.test(`logs of ${what}`, async (t) => {
    const logs = await loggedRequests(sink);
    const text = JSON.stringify(logs);
    t.ok(logs.length >= 3, `${logs.length} lines`);
    for (const secret of [INGEST_KEY, 'ja_sk_wrong_secret', '203.0.113.77', '198.51.100.9', 'authorization', 'x-forwarded-for']) {
      t.notOk(text.toLowerCase().includes(secret.toLowerCase()), `no ${secret}`);
    }
    if (sink instanceof MemorySink) t.notOk(text.includes(BODY_MARKER), 'no body content');
    // One debug line per request, none at info: exporters send many a second.
    const completed = logs.filter((line) => line.msg === 'request completed');
    t.equal(completed.length, 3);
    t.ok(completed.every((line) => line.level === 20), 'at debug level');
    t.same(completed[0]?.req, { method: 'POST', url: '/v1/traces' });
    t.match(completed[0]?.res, { statusCode: Number });
    const ids = new Set(logs.map((line) => line.reqId).filter((id) => id !== undefined));
    t.equal(ids.size, 3, 'one request id per request');
    t.notOk(ids.has('client-chosen'));
  });
}
