// Covers the parsing of query-string values: Go-style durations, times (ISO 8601
// and unix milliseconds), default time ranges and attr.* collection.
import t from 'tap';
import { attributeFilters, parseDurationNs, parseTime, timeRangeFrom } from '../src/api/query-params.ts';

t.test('durations in Go notation and plain nanoseconds', async (t) => {
  const cases: Array<[string, bigint | null]> = [
    ['0', 0n],
    ['1500', 1500n],
    ['9223372036854775807', 9223372036854775807n],
    ['9223372036854775808', null],
    ['250ms', 250_000_000n],
    ['1.5s', 1_500_000_000n],
    ['2m', 120_000_000_000n],
    ['1h30m', 5_400_000_000_000n],
    ['1h2m3.004005006s', 3_723_004_005_006n],
    ['.5s', 500_000_000n],
    ['1.s', 1_000_000_000n],
    ['300us', 300_000n],
    ['300µs', 300_000n],
    ['300μs', 300_000n],
    ['7ns', 7n],
    ['0.0000000015s', 1n], // below a nanosecond truncates
    ['', null],
    ['ms', null],
    ['-1s', null],
    ['1.5', null],
    ['1d', null],
    ['1s ', null],
    ['1e3ms', null],
    ['3000000h', null], // beyond int64 nanoseconds
  ];
  for (const [text, expected] of cases) t.equal(parseDurationNs(text), expected, JSON.stringify(text));
});

t.test('times from ISO 8601 and unix milliseconds', async (t) => {
  t.equal(parseTime('1700000000123')?.toISOString(), '2023-11-14T22:13:20.123Z');
  t.equal(parseTime('2026-11-23T18:00:00Z')?.toISOString(), '2026-11-23T18:00:00.000Z');
  t.equal(parseTime('2026-11-23T18:00:00.250+02:00')?.toISOString(), '2026-11-23T16:00:00.250Z');
  t.equal(parseTime('2026-11-23T18:00')?.toISOString(), '2026-11-23T18:00:00.000Z', 'no offset means UTC');
  t.equal(parseTime('2026-11-23')?.toISOString(), '2026-11-23T00:00:00.000Z');
  for (const bad of ['yesterday', '2026-13-01', '2026-11-23T25:00:00Z', '1e12', '-5', '', '2026/11/23']) {
    t.equal(parseTime(bad), null, JSON.stringify(bad));
  }
});

t.test('time ranges default to a span before now and reject reversed ranges', async (t) => {
  const now = new Date('2026-11-23T18:00:00Z');
  const range = timeRangeFrom({}, 3_600_000, now);
  t.same(range, { start: new Date('2026-11-23T17:00:00Z'), end: now });
  const fromEnd = timeRangeFrom({ end: '2026-11-23T12:00:00Z' }, 3_600_000, now);
  t.same(fromEnd, { start: new Date('2026-11-23T11:00:00Z'), end: new Date('2026-11-23T12:00:00Z') });
  t.throws(() => timeRangeFrom({ start: '2026-11-23T19:00:00Z' }, 3_600_000, now), { code: 'INVALID_ARGUMENT', statusCode: 400 });
  t.throws(() => timeRangeFrom({ start: 'soon' }, 3_600_000, now), { code: 'INVALID_ARGUMENT', message: /start must be/ });
});

t.test('attr.* parameters become attribute filters', async (t) => {
  t.same(attributeFilters({ service: 'x', 'attr.http.method': 'GET', 'attr.a=b': 'c', limit: 20 }), { 'http.method': 'GET', 'a=b': 'c' });
  t.same(attributeFilters({ limit: 20 }), {});
});
