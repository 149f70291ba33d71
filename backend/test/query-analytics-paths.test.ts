// Covers "two paths, one answer": every rollup-eligible query (the whole site,
// each rolled-up dimension, time series, filters on the one dimension, date
// ranges in UTC, Asia/Kathmandu and America/St_Johns, previous periods) gives
// the same answer from raw rows, from rollups computed live (quarters still
// marked dirty), from rollups the job stored, and again after a late event
// re-dirties a quarter the job had rolled up.
import t from 'tap';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/database.ts';
import { rollupAnalyticsNow } from '../src/jobs/analytics-rollups.ts';
import { visitDimensions } from '../src/query/analytics/analytics-dimensions.ts';
import { runAnalyticsQuery, type AnalyticsPath } from '../src/query/analytics/analytics-query.ts';
import { parseAnalyticsQuery } from '../src/query/analytics/analytics-request.ts';
import { rollupDimensionOf } from '../src/query/analytics/analytics-rollup-read.ts';
import { planGroups } from '../src/query/analytics/analytics-plan.ts';
import { resolveDateRange } from '../src/query/analytics/analytics-range.ts';
import { insertEvents, upsertSessions } from './helpers/analytics-raw-rows.ts';
import { createZonedSite, NOW, writeAnalyticsTraffic } from './helpers/analytics-query-fixtures.ts';
import { createTestDatabase } from './helpers/test-database.ts';
import { sql } from 'kysely';

const { handle } = await createTestDatabase(t);
const db: Kysely<Database> = handle.db;
const zones = ['UTC', 'Asia/Kathmandu', 'America/St_Johns'] as const;
const sites = new Map<string, string>();
for (const zone of zones) {
  const siteId = await createZonedSite(db, zone, zone);
  await writeAnalyticsTraffic(db, siteId);
  sites.set(zone, siteId);
}

const visitMetrics = ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit'];
const eventMetrics = ['visitors', 'visits', 'pageviews', 'events', 'views_per_visit'];
const ranges: unknown[] = ['day', '7d', '30d', 'month', ['2026-11-28', '2026-11-29'], ['2026-11-28T18:15:00Z', '2026-11-29T03:30:00Z']];

function queries(): object[] {
  const list: object[] = [];
  for (const date_range of ranges) {
    list.push({ date_range, metrics: visitMetrics, compare: 'previous_period' });
    for (const time of ['time', 'time:hour', 'time:day', 'time:week', 'time:month']) list.push({ date_range, metrics: visitMetrics, dimensions: [time] });
    for (const dimension of visitDimensions) list.push({ date_range, metrics: visitMetrics, dimensions: [dimension] });
    for (const dimension of ['event:page', 'event:name', 'event:props:plan', 'event:props:file']) {
      list.push({ date_range, metrics: eventMetrics, dimensions: [dimension] });
      list.push({ date_range, metrics: eventMetrics, dimensions: [dimension, 'time:hour'] });
    }
    list.push({ date_range, metrics: visitMetrics, dimensions: ['visit:source', 'time:day'], filters: [['is_not', 'visit:source', ['Direct / None']]], compare: 'previous_period' });
    list.push({ date_range, metrics: visitMetrics, filters: [['contains', 'visit:country', ['R']]] });
    list.push({ date_range, metrics: eventMetrics, filters: [['matches', 'event:page', ['^/(pricing|blog)$']]] });
    list.push({ date_range, metrics: eventMetrics, dimensions: ['event:page'], filters: [['contains_not', 'event:page', ['log']]], order_by: [['event:page', 'asc']] });
  }
  return list;
}

async function answers(path: AnalyticsPath): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const zone of zones) {
    for (const body of queries()) {
      const answer = await runAnalyticsQuery(db, sites.get(zone)!, zone, parseAnalyticsQuery(body), { now: NOW, path });
      out.push({ zone, body, results: answer.results });
    }
  }
  return out;
}

t.test('every query listed here is one the rollups answer', async (t) => {
  for (const zone of zones) {
    for (const body of queries()) {
      const query = parseAnalyticsQuery(body);
      const range = resolveDateRange(query.dateRange, { now: NOW, timeZone: zone });
      const plan = planGroups({ siteId: sites.get(zone)!, range, timeZone: zone, dimensions: query.dimensions, filters: query.filters, goals: [] });
      if (rollupDimensionOf(plan) === null) t.fail(`not rollup-eligible: ${zone} ${JSON.stringify(body)}`);
    }
  }
  t.pass('all eligible');
});

t.test('raw rows and rollups answer alike, before and after the rollup job, and after a late event', async (t) => {
  const raw = await answers('raw');
  t.ok(raw.some((answer) => JSON.stringify(answer).includes('"metrics":[3,')), 'the answers are not all empty');
  t.same(await answers('rollups'), raw, 'dirty quarters computed live');

  await rollupAnalyticsNow(db);
  const { rows } = await sql<{ marks: string; rollups: string }>`
    SELECT (SELECT count(*) FROM analytics_dirty_buckets) AS marks, (SELECT count(*) FROM analytics_rollups) AS rollups`.execute(db);
  t.same(rows[0], { marks: '0', rollups: rows[0]!.rollups }, 'the job cleared every mark');
  t.ok(Number(rows[0]!.rollups) > 0, 'the job stored rollups');
  const { rows: grains } = await sql<{ grain: number }>`SELECT DISTINCT grain FROM analytics_rollups ORDER BY grain`.execute(db);
  t.same(grains.map((row) => row.grain), [60, 1440], 'only hours and days stored');
  t.same(await answers('rollups'), raw, 'stored days and hours, quarter-hour edges computed live');

  // A late visit in a quarter the job already rolled up: marked dirty again, read live until the job runs.
  for (const siteId of sites.values()) {
    await insertEvents(db, siteId, [{ time: '2026-11-29T12:05:00Z', name: 'pageview', visitorId: 9n, sessionId: 19n, pathname: '/late' }]);
    await upsertSessions(db, siteId, [
      { startedAt: '2026-11-29T12:05:00Z', lastSeenAt: '2026-11-29T12:05:00Z', sessionId: 19n, visitorId: 9n, entryPage: '/late', exitPage: '/late', pageviews: 1, events: 1, engaged: false, country: 'JP' },
    ]);
    await sql`INSERT INTO analytics_dirty_buckets (site_id, bucket, marked_at) VALUES (${siteId}, '2026-11-29T12:00:00Z', now())`.execute(db);
  }
  const rawLate = await answers('raw');
  t.not(JSON.stringify(rawLate), JSON.stringify(raw), 'the late visit changes answers');
  t.same(await answers('rollups'), rawLate, 'a re-dirtied quarter is read live');
  await rollupAnalyticsNow(db);
  t.same(await answers('rollups'), rawLate, 'and from rollups once the job ran');
});
