// Covers the quarter-hour analytics rollup rows computed from raw events and
// sessions (rollups/analytics-quarter-rollups.ts) and the hour and day rows
// merged from them (rollups/analytics-rollup-rows.ts): every dimension's
// numbers of a hand-made morning of a shop checked by hand (visit dimensions
// from the visits started in the quarter, event dimensions from its events, a
// duplicated event counted once, engagement events outside `events`), another
// site's rows kept apart, and merged hours and days with distinct visitors and
// visits across quarters, and hours computed from raw rows at once (what the
// job stores) equal to the merges of their quarters, and one dimension's rows
// alone (what a query computes live) equal to that dimension's of all.
import t, { type Test } from 'tap';
import { computeQuarterRollups, computeRollups } from '../src/rollups/analytics-quarter-rollups.ts';
import { bucketStart, DAY_GRAIN, HOUR_GRAIN, mergeRollupRows } from '../src/rollups/analytics-rollup-rows.ts';
import { createSite } from '../src/store/sites.ts';
import { insertEvents, makeRawPartitions, rollupNumbers, rollupsByBucket, shopMorning, upsertSessions, type RollupNumbers } from './helpers/analytics-raw-rows.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const q1 = new Date('2026-11-29T10:00:00Z');
const q2 = new Date('2026-11-29T10:15:00Z');
const q3 = new Date('2026-11-29T11:00:00Z');
const empty = new Date('2026-11-29T10:30:00Z');

// Visits by hand: [visitors, visits, pageviews, events, bounces, duration ms].
type VisitNumbers = [number, number, number, number, number, number];
const s1: VisitNumbers = [1, 1, 2, 4, 0, 210_000];
const s2: VisitNumbers = [1, 1, 1, 1, 1, 0];
const s3: VisitNumbers = [1, 1, 2, 3, 0, 300_750]; // 10:14:59.500 → 10:20:00.250
const s1and3: VisitNumbers = [1, 2, 4, 7, 0, 510_750];
const allOfQ1: VisitNumbers = [2, 3, 5, 8, 1, 510_750];
const s4: VisitNumbers = [1, 1, 1, 3, 0, 60_000];

const visit = (dimension: string, value: string, [visitors, visits, pageviews, events, bounces, duration]: VisitNumbers): RollupNumbers => [
  `visit:${dimension}`,
  value,
  visitors,
  null,
  visits,
  pageviews,
  events,
  bounces,
  duration,
];
/** An event row: visitors, distinct visits, pageviews, events. */
const event = (dimension: string, value: string, visitors: number, visits: number, pageviews: number, events: number): RollupNumbers => [
  `event:${dimension}`,
  value,
  visitors,
  visits,
  0,
  pageviews,
  events,
  0,
  0,
];
const byKey = (a: RollupNumbers, b: RollupNumbers) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
const sorted = (rows: RollupNumbers[]) => [...rows].sort(byKey);

const expectedQ1 = sorted([
  // Visitors 101 and 102 had events; visits 1001-1003 started; 4 pageviews (one stored twice), 5 events besides engagement.
  ['', '', 2, null, 3, 4, 5, 1, 510_750],
  event('name', 'pageview', 2, 3, 4, 4),
  event('name', 'signup', 1, 1, 0, 1),
  event('page', '/', 1, 1, 1, 1),
  event('page', '/blog', 1, 1, 1, 1),
  event('page', '/pricing', 1, 2, 2, 2),
  event('props:plan', 'pro', 1, 1, 0, 1),
  event('props:seats', '3', 1, 1, 0, 1),
  visit('entry_page', '/', s1),
  visit('entry_page', '/blog', s2),
  visit('entry_page', '/pricing', s3),
  visit('exit_page', '/pricing', s1),
  visit('exit_page', '/blog', s2),
  visit('exit_page', '/checkout', s3),
  visit('source', 'Google', s1and3),
  visit('source', 'newsletter', s2),
  visit('referrer', 'https://www.google.com/', s1and3),
  visit('referrer', '', s2),
  visit('channel', 'Organic Search', s1and3),
  visit('channel', 'Email', s2),
  visit('utm_source', '', s1and3),
  visit('utm_source', 'newsletter', s2),
  visit('utm_medium', '', s1and3),
  visit('utm_medium', 'email', s2),
  visit('utm_campaign', '', s1and3),
  visit('utm_campaign', 'nov', s2),
  visit('utm_term', '', allOfQ1),
  visit('utm_content', '', allOfQ1),
  visit('device', 'desktop', s1and3),
  visit('device', 'mobile', s2),
  visit('browser', 'Firefox', s1and3),
  visit('browser', 'Safari', s2),
  visit('browser_version', '120.0', s1and3),
  visit('browser_version', '17.1', s2),
  visit('os', 'Linux', s1and3),
  visit('os', 'iOS', s2),
  visit('os_version', '', s1and3),
  visit('os_version', '17.1', s2),
  visit('country', 'DE', s1and3),
  visit('country', 'FR', s2),
  visit('region', 'DE-BE', s1and3),
  visit('region', '', s2),
  visit('city', 'Berlin', s1and3),
  visit('city', '', s2),
  visit('hostname', 'shop.example', allOfQ1),
]);

const expectedQ2 = sorted([
  // Visit 1003 goes on: an engagement event (not in `events`) and a pageview; no visit started.
  ['', '', 1, null, 0, 1, 1, 0, 0],
  event('name', 'pageview', 1, 1, 1, 1),
  event('page', '/checkout', 1, 1, 1, 1),
]);

const expectedQ3 = sorted([
  ['', '', 1, null, 1, 1, 3, 0, 60_000],
  event('name', 'pageview', 1, 1, 1, 1),
  event('name', 'signup', 1, 1, 0, 1),
  event('name', 'download', 1, 1, 0, 1),
  event('page', '/', 1, 1, 1, 1),
  event('props:plan', 'free', 1, 1, 0, 1),
  event('props:file', 'a.pdf', 1, 1, 0, 1),
  event('props:big', 'true', 1, 1, 0, 1),
  ...(
    [
      ['entry_page', '/'],
      ['exit_page', '/'],
      ['source', 'news.ycombinator.com'],
      ['referrer', 'https://news.ycombinator.com/item'],
      ['channel', 'Referral'],
      ['utm_source', ''],
      ['utm_medium', ''],
      ['utm_campaign', ''],
      ['utm_term', ''],
      ['utm_content', ''],
      ['device', 'tablet'],
      ['browser', 'Chrome'],
      ['browser_version', '131.0'],
      ['os', 'Android'],
      ['os_version', '14'],
      ['country', 'US'],
      ['region', 'US-CA'],
      ['city', 'San Francisco'],
      ['hostname', 'www.shop.example'],
    ] as const
  ).map(([dimension, value]) => visit(dimension, value, s4)),
]);

async function setUp(t: Test) {
  const { handle } = await createTestDatabase(t);
  const db = handle.db;
  await makeRawPartitions(db, ['2026-11-29']);
  const shop = (await createSite(db, { name: 'shop' })).id;
  const other = (await createSite(db, { name: 'other' })).id;
  const morning = shopMorning();
  await insertEvents(db, shop, morning.events);
  await upsertSessions(db, shop, morning.sessions);
  // Another site's visit in the same quarter.
  await insertEvents(db, other, [{ time: '2026-11-29T10:03:00Z', name: 'pageview', visitorId: 101n, sessionId: 9001n, pathname: '/' }]);
  await upsertSessions(db, other, [
    { startedAt: '2026-11-29T10:03:00Z', lastSeenAt: '2026-11-29T10:03:00Z', sessionId: 9001n, visitorId: 101n, entryPage: '/', exitPage: '/', pageviews: 1, events: 1, engaged: false },
  ]);
  return { db, shop, other };
}

t.test('every dimension of each quarter, by hand', async (t) => {
  const { db, shop } = await setUp(t);
  const rows = await computeQuarterRollups(db, shop, [q3, q1, empty, q2, q1]);
  t.ok(rows.every((row) => row.grain === 15));
  t.ok(rows.every((row) => row.visitors.isExact && (row.visitSketch?.isExact ?? true)), 'small sketches are exact');
  const byBucket = rollupsByBucket(rows);
  t.same(Object.keys(byBucket), [`15 ${q1.toISOString()}`, `15 ${q2.toISOString()}`, `15 ${q3.toISOString()}`], 'buckets in order; a quarter with nothing has no rows');
  t.strictSame(byBucket[`15 ${q1.toISOString()}`], expectedQ1, '10:00');
  t.strictSame(byBucket[`15 ${q2.toISOString()}`], expectedQ2, '10:15');
  t.strictSame(byBucket[`15 ${q3.toISOString()}`], expectedQ3, '11:00');
  t.strictSame(await computeQuarterRollups(db, shop, []), []);
});

t.test("another site's quarter holds only its own visit", async (t) => {
  const { db, other } = await setUp(t);
  const rows = (await computeQuarterRollups(db, other, [q1])).map(rollupNumbers);
  t.strictSame(rows[0], ['', '', 1, null, 1, 1, 1, 1, 0]);
  t.strictSame(
    rows.find((row) => row[0] === 'visit:entry_page'),
    ['visit:entry_page', '/', 1, null, 1, 1, 1, 1, 0],
  );
  t.equal(rows.length, 1 + 2 + 19, 'total, event:name and event:page, one value per visit dimension');
});

t.test('hours and days merged from quarters: distinct visitors and visits across them', async (t) => {
  const { db, shop } = await setUp(t);
  const quarters = await computeQuarterRollups(db, shop, [q1, q2, q3]);
  const hours = mergeRollupRows(quarters, HOUR_GRAIN, (bucket) => bucketStart(bucket, HOUR_GRAIN));
  const hourly = rollupsByBucket(hours);
  t.same(Object.keys(hourly), ['60 2026-11-29T10:00:00.000Z', '60 2026-11-29T11:00:00.000Z']);
  const ten = hourly['60 2026-11-29T10:00:00.000Z']!;
  // Q1 and Q2: visitor 101 counted once, visit 1003 once; pageviews 4 + 1, events 5 + 1.
  t.strictSame(ten[0], ['', '', 2, null, 3, 5, 6, 1, 510_750]);
  t.strictSame(ten.find((row) => row[0] === 'event:name' && row[1] === 'pageview'), event('name', 'pageview', 2, 3, 5, 5));
  t.strictSame(ten.find((row) => row[1] === '/checkout' && row[0] === 'event:page'), event('page', '/checkout', 1, 1, 1, 1));
  t.strictSame(
    ten.filter((row) => row[0].startsWith('visit:')),
    expectedQ1.filter((row) => row[0].startsWith('visit:')),
    'visits all started in Q1',
  );
  t.strictSame(hourly['60 2026-11-29T11:00:00.000Z'], expectedQ3.map((row) => row), 'one quarter: the same numbers');
  // The hours straight from raw rows, grouped by hour in SQL: the same rows, sketches byte for byte.
  const sketched = (rows: typeof hours) =>
    rows.map((row) => [row.grain, row.bucket.toISOString(), row.dimension, row.value, row.visitors.serialize().toString('hex'), row.visitSketch?.serialize().toString('hex') ?? null, row.visits, row.pageviews, row.events, row.bounces, row.durationMs]);
  const direct10 = await computeRollups(db, shop, HOUR_GRAIN, [q3, q1, new Date('2026-11-29T10:30:00Z')]);
  t.strictSame(sketched(direct10), sketched(hours), 'hours from raw rows = merged quarters (a bucket given twice counts once)');
  // One dimension only (what a query computes live): the same rows as that dimension's of all.
  const dimensions = [...new Set(direct10.map((row) => row.dimension))];
  t.ok(dimensions.includes('') && dimensions.includes('event:page') && dimensions.includes('visit:country') && dimensions.some((name) => name.startsWith('event:props:')));
  for (const dimension of [...dimensions, 'event:props:absent']) {
    const only = await computeRollups(db, shop, HOUR_GRAIN, [q1, q3], dimension);
    t.strictSame(sketched(only), sketched(direct10.filter((row) => row.dimension === dimension)), `only ${dimension || 'the total'}`);
  }

  const days = mergeRollupRows(hours, DAY_GRAIN, (bucket) => bucketStart(bucket, DAY_GRAIN));
  t.ok(days.every((row) => row.grain === DAY_GRAIN && row.bucket.toISOString() === '2026-11-29T00:00:00.000Z'));
  const day = days.map(rollupNumbers);
  const find = (dimension: string, value: string) => day.find((row) => row[0] === dimension && row[1] === value);
  t.strictSame(find('', ''), ['', '', 3, null, 4, 6, 9, 1, 570_750]);
  t.strictSame(find('event:name', 'pageview'), event('name', 'pageview', 3, 4, 6, 6));
  t.strictSame(find('event:name', 'signup'), event('name', 'signup', 2, 2, 0, 2));
  t.strictSame(find('event:page', '/'), event('page', '/', 2, 2, 2, 2));
  t.strictSame(find('visit:entry_page', '/'), visit('entry_page', '/', [2, 2, 3, 7, 0, 270_000]));
  t.strictSame(find('visit:utm_term', ''), visit('utm_term', '', [3, 4, 6, 11, 1, 570_750]));
  t.strictSame(find('visit:hostname', 'www.shop.example'), visit('hostname', 'www.shop.example', s4));
  // The same day straight from quarters: merging is associative.
  const direct = mergeRollupRows(quarters, DAY_GRAIN, (bucket) => bucketStart(bucket, DAY_GRAIN));
  t.strictSame(
    direct.map((row) => [row.dimension, row.value, row.visitors.serialize().toString('hex'), row.visitSketch?.serialize().toString('hex') ?? null, row.visits, row.pageviews, row.events, row.bounces, row.durationMs]),
    days.map((row) => [row.dimension, row.value, row.visitors.serialize().toString('hex'), row.visitSketch?.serialize().toString('hex') ?? null, row.visits, row.pageviews, row.events, row.bounces, row.durationMs]),
  );
  // Merging leaves its input as it was.
  t.strictSame(rollupsByBucket(quarters)[`15 ${q1.toISOString()}`], expectedQ1);
});
