// Covers the analytics query engine (query/analytics/) on the raw path and on
// rollups with hand-computed numbers: the whole site, breakdowns, time series
// and previous-period comparisons in UTC, Asia/Kathmandu (+05:45) and
// America/St_Johns (-03:30); filters (and, or, not, contains, matches, is_not,
// event filters on visit breakdowns); goals and conversion rate; order, limit
// and offset. The traffic is in helpers/analytics-query-fixtures.ts.
import t from 'tap';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/database.ts';
import { runAnalyticsQuery, type AnalyticsPath } from '../src/query/analytics/analytics-query.ts';
import { parseAnalyticsQuery } from '../src/query/analytics/analytics-request.ts';
import { createZonedSite, insertGoal, NOW, writeAnalyticsTraffic } from './helpers/analytics-query-fixtures.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const { handle } = await createTestDatabase(t);
const db: Kysely<Database> = handle.db;
const sites = {
  UTC: await createZonedSite(db, 'utc', 'UTC'),
  'Asia/Kathmandu': await createZonedSite(db, 'kathmandu', 'Asia/Kathmandu'),
  'America/St_Johns': await createZonedSite(db, 'st-johns', 'America/St_Johns'),
};
type Zone = keyof typeof sites;
for (const siteId of Object.values(sites)) await writeAnalyticsTraffic(db, siteId);
const other = await createZonedSite(db, 'other', 'UTC');

const ask = async (zone: Zone, body: object, path: AnalyticsPath = 'auto') =>
  runAnalyticsQuery(db, sites[zone], zone, parseAnalyticsQuery(body), { now: NOW, path });
const rows = async (zone: Zone, body: object, path: AnalyticsPath = 'auto') =>
  (await ask(zone, body, path)).results.map((row) => [...row.dimensions, ...row.metrics]);

const overview = ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit'];

t.test('the whole site today, in each zone (visitors from events, visits from visits started today)', async (t) => {
  for (const path of ['raw', 'rollups'] as const) {
    // UTC Nov 29: events of S2, S3, S4 (visitors 2, 3); visits S2 (bounce), S3 (300 s), S4 (180 s).
    t.same(await rows('UTC', { date_range: 'day', metrics: overview }, path), [[2, 3, 4, 6, 33, 160, 1.33]], `UTC, ${path}`);
    // Kathmandu Nov 29 = [Nov 28 18:15, Nov 29 18:15) UTC: S1's /pricing too (visitor 1), but S1 started the day before.
    t.same(await rows('Asia/Kathmandu', { date_range: 'day', metrics: overview }, path), [[3, 3, 5, 7, 33, 160, 1.67]], `Kathmandu, ${path}`);
    // St John's Nov 29 = [Nov 29 03:30, Nov 30 03:30) UTC: S3 and S4 only.
    t.same(await rows('America/St_Johns', { date_range: 'day', metrics: overview }, path), [[2, 2, 3, 5, 0, 240, 1.5]], `St John's, ${path}`);
  }
  const answer = await ask('Asia/Kathmandu', { date_range: 'day', metrics: ['visitors'] });
  t.same(answer.meta.date_range, ['2026-11-28T18:15:00.000Z', '2026-11-29T18:15:00.000Z']);
  t.equal(answer.meta.source, 'rollups');
});

t.test('a site without traffic answers zeros, and sees no other site', async (t) => {
  const answer = await runAnalyticsQuery(db, other, 'UTC', parseAnalyticsQuery({ date_range: '7d', metrics: overview }), { now: NOW });
  t.same(answer.results, [{ dimensions: [], metrics: [0, 0, 0, 0, 0, 0, 0] }]);
  const breakdown = await runAnalyticsQuery(db, other, 'UTC', parseAnalyticsQuery({ date_range: '7d', metrics: ['visitors'], dimensions: ['visit:source'] }), { now: NOW });
  t.same(breakdown.results, []);
});

t.test('breakdowns by a visit dimension and by page', async (t) => {
  for (const path of ['raw', 'rollups'] as const) {
    // 7 days in UTC (Nov 23-29): all five visits. Direct has no source: "Direct / None".
    t.same(
      await rows('UTC', { date_range: '7d', metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate'], dimensions: ['visit:source'] }, path),
      [
        ['Google', 3, 3, 4, 33],
        ['Direct / None', 1, 1, 1, 100],
        ['Hacker News', 1, 1, 2, 0],
      ],
      `sources, ${path}`,
    );
    t.same(
      await rows('UTC', { date_range: 'day', metrics: ['visitors', 'visits', 'pageviews'], dimensions: ['event:page'] }, path),
      [
        ['/', 2, 2, 2],
        ['/blog', 1, 1, 1],
        ['/pricing', 1, 1, 1],
      ],
      `pages, ${path}`,
    );
    t.same(
      await rows('UTC', { date_range: 'day', metrics: ['visitors', 'events'], dimensions: ['event:name'] }, path),
      [
        ['pageview', 2, 4],
        ['download', 1, 1],
        ['signup', 1, 1],
      ],
      `event names (engagement left out), ${path}`,
    );
    t.same(await rows('UTC', { date_range: 'day', metrics: ['visitors', 'events'], dimensions: ['event:props:plan'] }, path), [['pro', 1, 1]], `props, ${path}`);
  }
});

t.test('time series in the zone', async (t) => {
  for (const path of ['raw', 'rollups'] as const) {
    // St John's, Nov 23-29 local: S5 on the 27th; S1 and S2 (23:30 local) on the 28th; S3 (00:30 local) and S4 on the 29th.
    t.same(
      await rows('America/St_Johns', { date_range: '7d', metrics: ['visitors', 'visits', 'pageviews'], dimensions: ['time:day'] }, path),
      [
        ['2026-11-27', 1, 1, 1],
        ['2026-11-28', 2, 2, 3],
        ['2026-11-29', 2, 2, 3],
      ],
      `St John's days, ${path}`,
    );
    // Kathmandu today by hour: 00:05 (S1's /pricing, its visit began the day before), 08:45 S2, 09:45 S3, 17:45 S4.
    t.same(
      await rows('Asia/Kathmandu', { date_range: 'day', metrics: ['visitors', 'visits', 'pageviews', 'events'], dimensions: ['time:hour'] }, path),
      [
        ['2026-11-29 00:00:00', 1, 0, 1, 1],
        ['2026-11-29 08:00:00', 1, 1, 1, 1],
        ['2026-11-29 09:00:00', 1, 1, 1, 2],
        ['2026-11-29 17:00:00', 1, 1, 2, 3],
      ],
      `Kathmandu hours, ${path}`,
    );
    // A week starts on Monday (Nov 23, 2026 is one): Nov 20-22 had no traffic, Nov 27-29 four visitors.
    t.same(
      await rows('UTC', { date_range: ['2026-11-20', '2026-11-29'], metrics: ['visitors'], dimensions: ['time:week'] }, path),
      [['2026-11-23', 4]],
      `weeks, ${path}`,
    );
  }
  // Plain `time` over a day is by hour.
  t.same(
    (await rows('UTC', { date_range: 'day', metrics: ['pageviews'], dimensions: ['time'] })).map((row) => row[0]),
    ['2026-11-29 03:00:00', '2026-11-29 04:00:00', '2026-11-29 12:00:00'],
  );
});

t.test('filters', async (t) => {
  const day = { date_range: 'day', metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate'] };
  t.same(await rows('UTC', { ...day, filters: [['is', 'visit:country', ['FR']]] }), [[1, 2, 2, 50]], 'is');
  t.same(await rows('UTC', { ...day, filters: [['is_not', 'visit:country', ['FR']]] }), [[1, 1, 2, 0]], 'is_not');
  t.same(await rows('UTC', { ...day, filters: [['is', 'visit:source', ['Direct / None']]] }), [[1, 1, 1, 100]], 'the empty source by its shown name');
  t.same(
    await rows('UTC', { ...day, filters: [['or', [['is', 'visit:country', ['US']], ['contains', 'visit:source', ['Hack']]]]] }),
    [[1, 1, 2, 0]],
    'or',
  );
  t.same(
    await rows('UTC', { ...day, filters: [['and', [['is', 'visit:country', ['FR']], ['not', ['is', 'visit:source', ['Google']]]]]] }),
    [[1, 1, 1, 100]],
    'and with not',
  );
  t.same(await rows('UTC', { ...day, filters: [['contains_not', 'visit:source', ['oo']]] }), [[2, 2, 3, 50]], 'contains_not');
  const events = { date_range: 'day', metrics: ['visitors', 'visits', 'pageviews'] };
  t.same(await rows('UTC', { ...events, filters: [['matches', 'event:page', ['^/pr']]] }), [[1, 1, 1]], 'matches on pages');
  t.same(await rows('UTC', { ...events, filters: [['matches_not', 'event:page', ['^/pr', 'blog$']]] }), [[2, 2, 2]], 'matches_not');
  // Visit breakdown of the visits with a signup: an event filter makes the groups count events.
  t.same(
    await rows('UTC', { date_range: 'day', metrics: ['visitors', 'visits', 'events'], dimensions: ['visit:country'], filters: [['is', 'event:name', ['signup']]] }),
    [['FR', 1, 1, 1]],
  );
  // Several dimensions: pages by country (raw path).
  const answer = await ask('UTC', { date_range: 'day', metrics: ['pageviews'], dimensions: ['visit:country', 'event:page'] });
  t.equal(answer.meta.source, 'raw');
  t.same(
    answer.results.map((row) => [...row.dimensions, ...row.metrics]),
    [
      ['FR', '/', 1],
      ['FR', '/blog', 1],
      ['US', '/', 1],
      ['US', '/pricing', 1],
    ],
  );
});

t.test('order, limit and offset', async (t) => {
  const base = { date_range: '7d', metrics: ['visits'], dimensions: ['visit:source'] };
  t.same(await rows('UTC', { ...base, order_by: [['visit:source', 'desc']] }), [['Hacker News', 1], ['Google', 3], ['Direct / None', 1]]);
  t.same(await rows('UTC', { ...base, order_by: [['visits', 'asc']], limit: 2 }), [['Direct / None', 1], ['Hacker News', 1]]);
  const page = await ask('UTC', { ...base, limit: 1, offset: 1 });
  t.same(page.results.map((row) => row.dimensions), [['Direct / None']]);
  t.equal(page.meta.total_rows, 3);
});

t.test('compare with the previous period', async (t) => {
  for (const path of ['raw', 'rollups'] as const) {
    // UTC Nov 29 against Nov 28: S1 alone (visitor 1, 2 pageviews, 600 s).
    const answer = await ask('UTC', { date_range: 'day', metrics: ['visitors', 'pageviews', 'bounce_rate', 'visit_duration'], compare: 'previous_period' }, path);
    t.same(answer.results, [{ dimensions: [], metrics: [2, 4, 33, 160], comparison: { dimensions: [], metrics: [1, 2, 0, 600], change: [100, 100, 33, -73] } }], path);
    t.same(answer.meta.comparison_date_range, ['2026-11-28T00:00:00.000Z', '2026-11-29T00:00:00.000Z']);
  }
  // By day: each day is compared with the day as far back as the range is long.
  const byDay = await ask('UTC', { date_range: ['2026-11-28', '2026-11-29'], metrics: ['visitors'], dimensions: ['time:day'], include: { compare: 'previous_period' } });
  t.same(
    byDay.results.map((row) => [row.dimensions[0], row.metrics[0], row.comparison?.dimensions[0], row.comparison?.metrics[0]]),
    [
      ['2026-11-28', 1, '2026-11-26', 0],
      ['2026-11-29', 2, '2026-11-27', 1],
    ],
  );
});

t.test('goals and conversion rate', async (t) => {
  await insertGoal(db, sites.UTC, '1', 'Signup', { event: 'signup' });
  await insertGoal(db, sites.UTC, '2', 'Pricing', { page: '/pri*' });
  await insertGoal(db, sites.UTC, '3', 'Pro signup', { event: 'signup', props: { plan: 'pro' } });
  // UTC today: 2 visitors; visitor 2 signed up (plan pro), visitor 3 saw /pricing.
  t.same(await rows('UTC', { date_range: 'day', metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] }), [
    ['Pricing', 1, 1, 50],
    ['Pro signup', 1, 1, 50],
    ['Signup', 1, 1, 50],
  ]);
  t.same(await rows('UTC', { date_range: 'day', metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event:goal', ['Signup']]] }), [[1, 50]]);
  // By source: Google brought visitor 2 (converted); Direct brought visitor 2 too; Hacker News visitor 3 (did not sign up).
  t.same(
    await rows('UTC', { date_range: 'day', metrics: ['visitors', 'conversion_rate'], dimensions: ['visit:source'], filters: [['is', 'event:goal', ['Signup']]] }),
    [['Google', 1, 100]],
  );
  // A week: 4 visitors, one converted.
  t.same(await rows('UTC', { date_range: '7d', metrics: ['conversion_rate'], filters: [['is', 'event:goal', ['Signup']]] }), [[25]]);
});

t.test('an invalid regular expression is a statement error the route answers as a 400', async (t) => {
  await t.rejects(ask('UTC', { date_range: 'day', metrics: ['visitors'], filters: [['matches', 'visit:source', ['(']]] }), { code: '2201B' });
});
