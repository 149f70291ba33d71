// Metrics store benchmark: the metrics store and query path, run by hand:
//   DATABASE_URL=postgres://…/db node bench/store-metrics.ts
// Writes 100,000 points (500 series of host metrics, 200 points each, 10 s apart) through
// PostgresSink and prints points/s, then times a rate query and a p95 query over them.
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { openDatabase } from '../backend/src/db/connect.ts';
import { migrateToLatestOrThrow } from '../backend/src/db/migrate.ts';
import { queryMetric } from '../backend/src/query/metrics/metric-query.ts';
import { PostgresSink } from '../backend/src/store/postgres-sink.ts';
import { createSite } from '../backend/src/store/sites.ts';
import { attr, counterPoint, histogramPoint, resourceWith } from '../backend/test/helpers/metric-rows.ts';

const url = process.env['DATABASE_URL'];
if (url === undefined) throw new Error('set DATABASE_URL to an empty database');
const handle = await openDatabase({ databaseUrl: url, dataDir: tmpdir(), logger: pino({ level: 'silent' }) });
await migrateToLatestOrThrow(handle.db);
const siteId = (await createSite(handle.db, { name: 'bench' })).id;
const sink = new PostgresSink(handle.pool, { logger: pino({ level: 'silent' }) });

const start = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3_600_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const hosts = Array.from({ length: 25 }, (_, i) => resourceWith('hostmetrics', { 'host.name': `h${i}` }));
const batches = [];
for (let p = 0; p < 200; p++) {
  const rows = [];
  for (const resource of hosts) {
    for (let cpu = 0; cpu < 10; cpu++) {
      for (const state of ['user', 'idle']) {
        rows.push(counterPoint(siteId, 'system.cpu.time', ns(start + p * 10_000), BigInt(p * 10 + cpu), ns(start - 1000), { resource, attributes: [attr('cpu', `cpu${cpu}`), attr('state', state)] }));
      }
    }
  }
  batches.push(rows);
}
const t0 = performance.now();
// 20 exporters at a time, 500 points each, as concurrent exports would arrive.
for (let i = 0; i < batches.length; i += 20) await Promise.all(batches.slice(i, i + 20).map((rows) => sink.write({ signal: 'metrics', siteId, rows })));
const seconds = (performance.now() - t0) / 1000;
console.log(`wrote ${batches.length * 500} points in ${seconds.toFixed(2)} s: ${Math.round((batches.length * 500) / seconds)} points/s`);

const histograms = [];
for (let p = 0; p < 200; p++) {
  for (const resource of hosts) histograms.push(histogramPoint(siteId, 'http.duration', ns(start + p * 10_000), [5, 10, 25, 50, 100, 250, 500, 1000], [p, p, 2 * p, p, p, 0, 0, p, 1], p * 100, { startTimeUnixNano: ns(start - 1000), resource }));
}
await sink.write({ signal: 'metrics', siteId, rows: histograms });
const range = { start: new Date(start), end: new Date(start + 2_000_000), filters: [], stepSeconds: 60 };
for (const [label, q] of [
  ['rate by cpu, 500 series', { ...range, metric: 'system.cpu.time', aggregation: 'rate' as const, groupBy: ['cpu'] }],
  ['p95 by host, 25 cumulative histograms', { ...range, metric: 'http.duration', aggregation: 'p95' as const, groupBy: ['host.name'] }],
] as const) {
  const q0 = performance.now();
  const result = await queryMetric(handle.api.db, siteId, q);
  console.log(`${label}: ${result.series.length} groups × ${result.series[0]?.points.length} steps in ${Math.round(performance.now() - q0)} ms`);
}
await sink.close();
await handle.close();
