// Covers createCollector's `analytics` option: with it, the OTLP/HTTP port
// serves POST /api/track and /api/ingest/* and the gRPC port
// AnalyticsService, into the collector's one sink, over real sockets;
// without it, neither; a bad analytics limit fails createCollector.
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { IngestEventsRequest, IngestEventsResponse } from '@justanalytics/proto';
import t from 'tap';
import { createCollector } from '../src/receivers/collector.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { CHROME_UA, FixedSalts, geo, MemorySiteDirectory, RecordingDrops, TRACK_SITE } from './helpers/analytics-fixtures.ts';
import { INGEST_KEY, keys, SITE_ID, silentLogger } from './helpers/fixtures.ts';

const identity = (buffer: Buffer): Buffer => buffer;

t.test('both ports serve the analytics extension into one sink', async (t) => {
  const sink = new MemorySink();
  const drops = new RecordingDrops();
  const collector = createCollector({
    sink,
    keys,
    logger: silentLogger,
    httpPort: 0,
    grpcPort: 0,
    analytics: { sites: new MemorySiteDirectory(), salts: new FixedSalts(), geo, drops },
  });
  const { httpPort, grpcPort } = await collector.start();
  t.teardown(() => collector.shutdown());

  const track = await fetch(`http://127.0.0.1:${httpPort}/api/track`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', origin: 'https://example.com', 'user-agent': CHROME_UA },
    body: JSON.stringify({ site: TRACK_SITE, url: 'https://example.com/' }),
  });
  t.equal(track.status, 202);
  t.equal(track.headers.get('access-control-allow-origin'), 'https://example.com');
  const dropped = await fetch(`http://127.0.0.1:${httpPort}/api/track`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', origin: 'https://example.com', 'user-agent': CHROME_UA, 'sec-gpc': '1' },
    body: JSON.stringify({ site: TRACK_SITE, url: 'https://example.com/' }),
  });
  t.equal(dropped.headers.get('x-justanalytics-dropped'), 'gpc');

  const ingest = await fetch(`http://127.0.0.1:${httpPort}/api/ingest/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_KEY}` },
    body: JSON.stringify({ events: [{ name: 'signup', userId: 'u1' }] }),
  });
  t.strictSame(await ingest.json(), { accepted: 1, rejected: 0 });

  const client = new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  t.teardown(() => client.close());
  const message = Buffer.from(IngestEventsRequest.encode(IngestEventsRequest.fromObject({ events: [{ name: 'upgrade', userId: 'u1' }] })).finish());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${INGEST_KEY}`);
  const response = await new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest('/justanalytics.analytics.v1.AnalyticsService/IngestEvents', identity, identity, message, metadata, (error: ServiceError | null, value?: Buffer) =>
      error === null ? resolve(value as Buffer) : reject(error),
    );
  });
  t.match(IngestEventsResponse.toObject(IngestEventsResponse.decode(response)), { accepted: 1 });

  t.strictSame(
    sink.batches.map((batch) => [batch.signal, batch.siteId]),
    [
      ['events', TRACK_SITE],
      ['events', SITE_ID],
      ['events', SITE_ID],
    ],
  );
  t.strictSame(drops.counted, [[TRACK_SITE, 'gpc']]);
});

t.test('without the option, no analytics routes', async (t) => {
  const collector = createCollector({ sink: new MemorySink(), keys, logger: silentLogger, httpPort: 0, grpcPort: 0 });
  const { httpPort } = await collector.start();
  t.teardown(() => collector.shutdown());
  const response = await fetch(`http://127.0.0.1:${httpPort}/api/track`, { method: 'POST', body: '{}' });
  t.equal(response.status, 404);
});

t.test('a bad analytics limit fails createCollector', async (t) => {
  t.throws(
    () =>
      createCollector({
        sink: new MemorySink(),
        keys,
        logger: silentLogger,
        analytics: { sites: new MemorySiteDirectory(), salts: new FixedSalts(), geo: null, drops: new RecordingDrops(), limits: { maxProps: -1 } },
      }),
    { message: 'collector: options.limits.maxProps must be a positive integer, got -1' },
  );
});
