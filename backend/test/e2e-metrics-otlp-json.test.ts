// End to end with OTLP/JSON metrics posted to a whole server and read back
// through the query API: host metrics as the OpenTelemetry Collector's
// hostmetrics receiver writes them (system.cpu.utilization averaged per
// host.name, a resource attribute, filtered by state, a point attribute;
// system.cpu.time as a rate per cpu), and what OTLP allows that is awkward:
// summaries, exemplars with trace and span IDs, NO_RECORDED_VALUE gaps, a
// counter reset, NaN and ±Infinity.
import t from 'tap';
import { exportOtlpJsonMetrics, postMetricQuery } from './helpers/metric-api.ts';
import { startTestServer } from './helpers/test-server.ts';

const server = await startTestServer(t);
const T0ms = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
const ns = (seconds: number) => String(BigInt(T0ms + seconds * 1000) * 1_000_000n);
const boot = ns(-86_400);
const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
const range = { start: T0ms, end: T0ms + 120_000, step: 60 };

const cpuStates = ['user', 'system', 'idle'];
// Per host, cpu and state: seconds spent, rising by `perScrape` every 10 s; utilisation likewise.
const hosts = [
  { name: 'web-1', perScrape: { user: 2, system: 1, idle: 7 } },
  { name: 'web-2', perScrape: { user: 4, system: 2, idle: 4 } },
] as const;
const scrapes = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110];

function hostmetricsRequest(host: (typeof hosts)[number]) {
  const time: object[] = [];
  const utilization: object[] = [];
  for (const cpu of ['cpu0', 'cpu1']) {
    for (const state of cpuStates) {
      const per = host.perScrape[state as keyof typeof host.perScrape];
      for (const s of scrapes) {
        const attributes = [kv('cpu', cpu), kv('state', state)];
        time.push({ attributes, startTimeUnixNano: boot, timeUnixNano: ns(s), asDouble: 1000 + per * (s / 10 + 1) + (cpu === 'cpu1' ? 0.5 : 0) });
        utilization.push({ attributes, startTimeUnixNano: boot, timeUnixNano: ns(s), asDouble: per / 10 });
      }
    }
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('host.name', host.name), kv('os.type', 'linux')] },
        scopeMetrics: [
          {
            scope: { name: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver/internal/scraper/cpuscraper', version: '0.115.0' },
            metrics: [
              { name: 'system.cpu.time', description: 'Total seconds each logical CPU spent on each mode.', unit: 's', sum: { dataPoints: time, aggregationTemporality: 2, isMonotonic: true } },
              { name: 'system.cpu.utilization', description: 'Difference in system.cpu.time since the last measurement per logical CPU, divided by the elapsed time (value in interval [0,1]).', unit: '1', gauge: { dataPoints: utilization } },
            ],
          },
        ],
      },
    ],
  };
}

for (const host of hosts) {
  const { status, body } = await exportOtlpJsonMetrics(server.otlpHttpUrl, server.ingestKey, hostmetricsRequest(host));
  if (status !== 200) throw new Error(`export failed: ${status} ${JSON.stringify(body)}`);
}

t.test('system.cpu.utilization: avg per host.name (resource) of state=idle (point)', async (t) => {
  const { status, body } = await postMetricQuery(server.apiUrl, server.readKey, {
    ...range,
    metric: 'system.cpu.utilization',
    aggregation: 'avg',
    filters: [{ key: 'state', op: 'eq', value: 'idle' }],
    groupBy: ['host.name'],
  });
  t.equal(status, 200);
  t.match(body, { type: 'gauge', unit: '1' });
  const byHost = Object.fromEntries(body.series.map((s) => [s.labels['host.name'], s.points]));
  const rounded = (points: unknown) => (points as [number, number][]).map(([time, value]) => [time, Math.round(value * 1e9) / 1e9]);
  t.same(rounded(byHost['web-1']), [[T0ms, 0.7], [T0ms + 60_000, 0.7]]);
  t.same(rounded(byHost['web-2']), [[T0ms, 0.4], [T0ms + 60_000, 0.4]]);
  t.same(Object.keys(byHost).sort(), ['web-1', 'web-2']);
});

t.test('system.cpu.time: rate per cpu of user and system time', async (t) => {
  const { status, body } = await postMetricQuery(server.apiUrl, server.readKey, {
    ...range,
    metric: 'system.cpu.time',
    aggregation: 'rate',
    filters: [{ key: 'state', op: 'in', value: ['user', 'system'] }],
    groupBy: ['cpu'],
  });
  t.equal(status, 200);
  // Step 0 holds scrapes 0-50 s: five deltas each (the scrape at 0 s has nothing before it).
  // Per cpu: web-1 (2 + 1) and web-2 (4 + 2) seconds per 10 s scrape; step 1 has six deltas.
  const perScrape = 2 + 1 + 4 + 2;
  const byCpu = Object.fromEntries(body.series.map((s) => [s.labels['cpu'], s.points]));
  t.same(Object.keys(byCpu).sort(), ['cpu0', 'cpu1']);
  for (const cpu of ['cpu0', 'cpu1']) {
    const points = byCpu[cpu] as [number, number][];
    t.equal(points.length, 2);
    t.ok(Math.abs(points[0]![1] - (5 * perScrape) / 60) < 1e-9, `${cpu}, step 0`);
    t.ok(Math.abs(points[1]![1] - (6 * perScrape) / 60) < 1e-9, `${cpu}, step 1`);
  }
  const catalog = await server.api(`/api/v1/metrics?start=${T0ms}&end=${T0ms + 120_000}`);
  t.match(catalog.body, {
    metrics: [
      { name: 'system.cpu.time', type: 'sum', unit: 's', temporality: 2, monotonic: true, seriesCount: 12, attributeKeys: ['cpu', 'state'], resourceAttributeKeys: ['host.name', 'os.type'] },
      { name: 'system.cpu.utilization', type: 'gauge', seriesCount: 12, description: /^Difference in system.cpu.time/ },
    ],
  });
  const values = await server.api(`/api/v1/metrics/system.cpu.time/attributes/host.name/values?start=${T0ms}&end=${T0ms + 120_000}`);
  t.same(values.body, { values: ['web-1', 'web-2'], truncated: false });
});

t.test('summaries, exemplars, gaps, a counter reset, NaN and infinities', async (t) => {
  const traceId = '5b8efff798038103d269b633813fc60c';
  const spanId = 'eee19b7ec3c1b174';
  const resource = { attributes: [kv('service.name', 'awkward')] };
  const request = {
    resourceMetrics: [
      {
        resource,
        scopeMetrics: [
          {
            scope: { name: 'awkward-meter' },
            metrics: [
              {
                name: 'rpc.latency.summary',
                unit: 'ms',
                summary: {
                  dataPoints: [
                    { timeUnixNano: ns(5), count: '10', sum: 55, quantileValues: [{ quantile: 0.5, value: 4 }, { quantile: 0.99, value: 9.5 }] },
                    { timeUnixNano: ns(65), count: '20', sum: 110, quantileValues: [{ quantile: 0.5, value: 6 }, { quantile: 0.99, value: 12 }] },
                  ],
                },
              },
              {
                name: 'orders.placed',
                unit: '{order}',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    { startTimeUnixNano: ns(-100), timeUnixNano: ns(-10), asInt: '40' },
                    { startTimeUnixNano: ns(-100), timeUnixNano: ns(20), asInt: '50', exemplars: [{ timeUnixNano: ns(19), asInt: '1', traceId, spanId, filteredAttributes: [kv('order.id', 'o-1')] }] },
                    { startTimeUnixNano: ns(-100), timeUnixNano: ns(50), asInt: '55' },
                    // The process restarted at 62 s: a later start time and a lower value, counted from zero.
                    { startTimeUnixNano: ns(62), timeUnixNano: ns(70), asInt: '3' },
                    { startTimeUnixNano: ns(62), timeUnixNano: ns(100), asInt: '10' },
                  ],
                },
              },
              {
                name: 'queue.lag',
                unit: 's',
                gauge: {
                  dataPoints: [
                    { timeUnixNano: ns(10), asDouble: 'NaN', attributes: [kv('queue', 'nan')] },
                    { timeUnixNano: ns(10), asDouble: 'Infinity', attributes: [kv('queue', 'inf')] },
                    { timeUnixNano: ns(10), asDouble: '-Infinity', attributes: [kv('queue', 'ninf')] },
                    { timeUnixNano: ns(10), asDouble: 2.5, attributes: [kv('queue', 'gappy')] },
                    // NO_RECORDED_VALUE: the series had no value in step 1; a gap, not a zero.
                    { timeUnixNano: ns(70), flags: 1, attributes: [kv('queue', 'gappy')] },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
  const exported = await exportOtlpJsonMetrics(server.otlpHttpUrl, server.ingestKey, request);
  t.equal(exported.status, 200, JSON.stringify(exported.body));

  const summary = await postMetricQuery(server.apiUrl, server.readKey, { ...range, metric: 'rpc.latency.summary', aggregation: 'p99' });
  t.same(summary.body.series[0]?.points, [[T0ms, 9.5], [T0ms + 60_000, 12]], "the summary's own p99");
  const summaryAvg = await postMetricQuery(server.apiUrl, server.readKey, { ...range, metric: 'rpc.latency.summary', aggregation: 'avg' });
  t.equal(summaryAvg.status, 400);
  t.match(summaryAvg.body, { error: { code: 'INVALID_ARGUMENT', message: /rpc.latency.summary is a summary: avg does not apply/ } });

  const orders = await postMetricQuery(server.apiUrl, server.readKey, { ...range, metric: 'orders.placed', aggregation: 'increase' });
  t.same(orders.body.series[0]?.points, [[T0ms, 15], [T0ms + 60_000, 3 + 7]], 'step 0: 10 from the point before it, then 5; step 1: 3 since the restart, then 7');
  t.same(orders.body.series[0]?.exemplars, [{ filteredAttributes: [kv('order.id', 'o-1')], timeUnixNano: ns(19), asInt: '1', spanId, traceId }], 'the exemplar with its trace and span');

  const lag = await postMetricQuery(server.apiUrl, server.readKey, { ...range, metric: 'queue.lag', aggregation: 'max', groupBy: ['queue'] });
  const byQueue = Object.fromEntries(lag.body.series.map((s) => [s.labels['queue'], s.points]));
  t.same(byQueue, {
    nan: [[T0ms, 'NaN']],
    inf: [[T0ms, 'Infinity']],
    ninf: [[T0ms, '-Infinity']],
    gappy: [[T0ms, 2.5]],
  }, 'NaN and ±Infinity as strings; the gap has no point');
});
