// Covers analytics-range.ts without a database: named and custom date ranges
// resolved in a zone (UTC, +05:45, -03:30, and New York across both DST
// changes), the previous period, and time buckets (a 23- and a 25-hour day,
// weeks from Monday, months).
import t from 'tap';
import { previousPeriod, resolveDateRange, timeBuckets, utcOfLocal, zoneOffsetMs } from '../src/query/analytics/analytics-range.ts';

const iso = (range: { start: Date; end: Date }): [string, string] => [range.start.toISOString(), range.end.toISOString()];
const now = new Date('2026-11-29T17:00:00Z');

t.test('named ranges end with today in the zone', async (t) => {
  t.same(iso(resolveDateRange('day', { now, timeZone: 'UTC' })), ['2026-11-29T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
  t.same(iso(resolveDateRange('day', { now, timeZone: 'Asia/Kathmandu' })), ['2026-11-28T18:15:00.000Z', '2026-11-29T18:15:00.000Z']);
  t.same(iso(resolveDateRange('day', { now, timeZone: 'America/St_Johns' })), ['2026-11-29T03:30:00.000Z', '2026-11-30T03:30:00.000Z']);
  t.same(iso(resolveDateRange('7d', { now, timeZone: 'UTC' })), ['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
  t.same(iso(resolveDateRange('30d', { now, timeZone: 'UTC' })), ['2026-10-31T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
  t.same(iso(resolveDateRange('month', { now, timeZone: 'UTC' })), ['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
  t.same(iso(resolveDateRange('6mo', { now, timeZone: 'UTC' })), ['2026-06-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
  t.same(iso(resolveDateRange('12mo', { now, timeZone: 'Asia/Kathmandu' })), ['2025-11-30T18:15:00.000Z', '2026-11-30T18:15:00.000Z']);
  t.same(iso(resolveDateRange('all', { now, timeZone: 'UTC', earliest: new Date('2026-01-05T10:00:00Z') })), ['2026-01-05T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
  t.same(iso(resolveDateRange('all', { now, timeZone: 'UTC', earliest: null })), ['2026-11-29T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
  // 00:30 on Nov 30 in Kathmandu is still Nov 29 in UTC: "today" is the zone's.
  const lateUtc = new Date('2026-11-29T18:45:00Z');
  t.same(iso(resolveDateRange('day', { now: lateUtc, timeZone: 'Asia/Kathmandu' })), ['2026-11-29T18:15:00.000Z', '2026-11-30T18:15:00.000Z']);
});

t.test('custom ranges: whole days in the zone, or instants', async (t) => {
  t.same(iso(resolveDateRange(['2026-11-28', '2026-11-29'], { now, timeZone: 'America/St_Johns' })), ['2026-11-28T03:30:00.000Z', '2026-11-30T03:30:00.000Z']);
  t.same(iso(resolveDateRange(['2026-11-28T10:00:00+05:45', '2026-11-28T12:00:00Z'], { now, timeZone: 'UTC' })), ['2026-11-28T04:15:00.000Z', '2026-11-28T12:00:00.000Z']);
  t.throws(() => resolveDateRange(['2026-02-30', '2026-03-01'], { now, timeZone: 'UTC' }));
  t.same(iso(previousPeriod(resolveDateRange('7d', { now, timeZone: 'UTC' }))), ['2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z']);
});

t.test('daylight saving time', async (t) => {
  const zone = 'America/New_York';
  // 2026-03-08: clocks go from 02:00 to 03:00 (23 hours); 2026-11-01: from 02:00 back to 01:00 (25 hours).
  const spring = resolveDateRange(['2026-03-08', '2026-03-08'], { now, timeZone: zone });
  t.same(iso(spring), ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
  const springHours = timeBuckets(spring, 'hour', zone);
  t.equal(springHours.length, 23);
  t.same(springHours.slice(1, 3).map((bucket) => bucket.label), ['2026-03-08 01:00:00', '2026-03-08 03:00:00']);
  const fall = resolveDateRange(['2026-11-01', '2026-11-01'], { now, timeZone: zone });
  t.same(iso(fall), ['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
  const fallHours = timeBuckets(fall, 'hour', zone);
  // The wall hour 01:00 happens twice: one bucket of two UTC hours, as grouping by local time in SQL gives.
  t.equal(fallHours.length, 24);
  t.same(fallHours[1], { label: '2026-11-01 01:00:00', start: Date.parse('2026-11-01T05:00:00Z'), end: Date.parse('2026-11-01T07:00:00Z') });
  t.equal(zoneOffsetMs(Date.parse('2026-07-01T12:00:00Z'), zone), -4 * 3_600_000);
  t.equal(utcOfLocal({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, zone), Date.parse('2026-03-08T07:30:00Z'), 'a skipped 02:30 is read with the offset before the jump (03:30 EDT), as PostgreSQL reads it');
});

t.test('weeks start on Monday and months on the 1st, cut to the range', async (t) => {
  const range = resolveDateRange(['2026-11-20', '2026-12-02'], { now, timeZone: 'UTC' });
  t.same(timeBuckets(range, 'week', 'UTC').map((bucket) => bucket.label), ['2026-11-16', '2026-11-23', '2026-11-30']);
  t.same(timeBuckets(range, 'month', 'UTC').map((bucket) => [bucket.label, new Date(bucket.start).toISOString()]), [
    ['2026-11-01', '2026-11-20T00:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
  ]);
});
