// Store benchmark: span rows straight into PostgresSink (no HTTP, no decode),
// from 1 and from 8 concurrent writers of 512-span batches; prints spans/s
// committed (each write resolves after its COMMIT).
//
//   node bench/store-copy.ts                     embedded PostgreSQL in a temp dir
//   DATABASE_URL=postgres://… node bench/store-copy.ts
//   BENCH_SECONDS=20 node bench/store-copy.ts    longer phases (default 10 s each)
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanRow } from '@justanalytics/collector/model';
import { pino } from 'pino';
import { openDatabase } from '../backend/src/db/connect.ts';
import { migrateToLatestOrThrow } from '../backend/src/db/migrate.ts';
import { PostgresSink } from '../backend/src/store/postgres-sink.ts';

const spansPerBatch = 512;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const siteId = '1';

function makeBatch(): SpanRow[] {
  const now = BigInt(Date.now()) * 1_000_000n;
  const traceIds = Array.from({ length: spansPerBatch / 8 }, () => randomBytes(16));
  // Shared by the batch's rows, as the decoder shares them per resource and scope.
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shop-api' } }], droppedAttributesCount: 0 };
  const scope = { name: 'bench', version: '1.0.0', attributes: [], droppedAttributesCount: 0 };
  return Array.from({ length: spansPerBatch }, (_, i) => ({
    siteId,
    traceId: traceIds[Math.floor(i / 8)]!,
    spanId: randomBytes(8),
    parentSpanId: i % 8 === 0 ? null : randomBytes(8),
    traceState: '',
    flags: 1,
    name: `GET /api/items/{id}#${i % 20}`,
    kind: 2,
    startTimeUnixNano: now - 3_000_000n + BigInt(i),
    endTimeUnixNano: now + BigInt(i),
    statusCode: i % 50 === 0 ? 2 : 0,
    statusMessage: '',
    serviceName: 'shop-api',
    httpRoute: '/api/items/{id}',
    httpStatusCode: 200,
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'GET' } },
      { key: 'http.route', value: { stringValue: '/api/items/{id}' } },
      { key: 'http.response.status_code', value: { intValue: '200' } },
      { key: 'url.path', value: { stringValue: `/api/items/${i}` } },
      { key: 'server.address', value: { stringValue: 'shop.internal' } },
      { key: 'network.peer.port', value: { intValue: String(40000 + i) } },
      { key: 'user_agent.original', value: { stringValue: 'Mozilla/5.0 (X11; Linux x86_64) bench' } },
      { key: 'retry', value: { boolValue: false } },
      { key: 'ratio', value: { doubleValue: i / 7 } },
      { key: 'tenant', value: { stringValue: 'acme' } },
    ],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    resource,
    resourceSchemaUrl: '',
    scope,
    scopeSchemaUrl: '',
  }));
}

async function phase(sink: PostgresSink, writers: number, batches: SpanRow[][]): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let spans = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const rows = batches[next++ % batches.length]!;
        const result = await sink.write({ signal: 'traces', siteId, rows });
        spans += rows.length - result.rejected;
      }
    }),
  );
  return spans / ((performance.now() - started) / 1000);
}

const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const dataDir = process.env.DATABASE_URL ? null : await mkdtemp(join(tmpdir(), 'ja-bench-store-'));
const handle = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: dataDir ?? '.', logger });
try {
  await migrateToLatestOrThrow(handle.db);
  const sink = new PostgresSink(handle.pool, { logger });
  const batches = Array.from({ length: 64 }, makeBatch);
  await sink.write({ signal: 'traces', siteId, rows: batches[0]! }); // warm up: partitions, connections
  for (const writers of [1, 8]) {
    const rate = await phase(sink, writers, batches);
    process.stdout.write(`PostgresSink, ${writers} writer${writers === 1 ? '' : 's'} x ${spansPerBatch}-span batches: ${Math.round(rate).toLocaleString('en-US')} spans/s\n`);
  }
  await sink.close();
} finally {
  await handle.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
