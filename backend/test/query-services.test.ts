// Covers listServices and listOperations over a real database: counts and
// error counts in a time range, operations per kind, and site isolation.
import t from 'tap';
import { listOperations, listServices } from '../src/query/traces/services.ts';
import { MINUTE, MS, nanos, SECOND, spanRow } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';

const { db, siteA, siteB, write } = await setUpQueryTest(t);

const base = nanos(new Date(Date.now() - 30 * 60_000));
const range = { start: new Date(Number((base - 10n * MINUTE) / MS)), end: new Date(Number((base + 10n * MINUTE) / MS)) };

await write(siteA, [
  spanRow(siteA, { serviceName: 'checkout', name: 'GET /cart', kind: 2, startTimeUnixNano: base }),
  spanRow(siteA, { serviceName: 'checkout', name: 'GET /cart', kind: 2, statusCode: 2, startTimeUnixNano: base + SECOND }),
  spanRow(siteA, { serviceName: 'checkout', name: 'GET /cart', kind: 3, startTimeUnixNano: base + 2n * SECOND }),
  spanRow(siteA, { serviceName: 'checkout', name: 'SELECT cart', kind: 3, statusCode: 1, startTimeUnixNano: base + 3n * SECOND }),
  spanRow(siteA, { serviceName: 'auth', name: 'verify', kind: 1, statusCode: 2, startTimeUnixNano: base + 4n * SECOND }),
  // Outside the range.
  spanRow(siteA, { serviceName: 'old', name: 'gone', startTimeUnixNano: base - 20n * MINUTE }),
  spanRow(siteA, { serviceName: 'checkout', name: 'later', startTimeUnixNano: base + 20n * MINUTE }),
]);
await write(siteB, [spanRow(siteB, { serviceName: 'other-site', name: 'GET /cart', startTimeUnixNano: base })]);

t.test('services with span and error counts, by name', async (t) => {
  t.strictSame(await listServices(db, siteA, range), [
    { name: 'auth', spanCount: 1, errorCount: 1 },
    { name: 'checkout', spanCount: 4, errorCount: 1 },
  ]);
  const wide = { start: new Date(range.start.getTime() - 3_600_000), end: new Date(range.end.getTime() + 3_600_000) };
  t.strictSame((await listServices(db, siteA, wide)).map((s) => s.name), ['auth', 'checkout', 'old']);
});

t.test('operations of a service, one entry per name and kind', async (t) => {
  t.strictSame(await listOperations(db, siteA, 'checkout', range), [
    { name: 'GET /cart', spanKind: 2, spanCount: 2, errorCount: 1 },
    { name: 'GET /cart', spanKind: 3, spanCount: 1, errorCount: 0 },
    { name: 'SELECT cart', spanKind: 3, spanCount: 1, errorCount: 0 },
  ]);
  t.strictSame(await listOperations(db, siteA, 'nope', range), []);
});

t.test('a site sees only its own services and operations', async (t) => {
  t.strictSame(await listServices(db, siteB, range), [{ name: 'other-site', spanCount: 1, errorCount: 0 }]);
  t.strictSame(await listOperations(db, siteB, 'checkout', range), []);
  t.strictSame(await listOperations(db, siteA, 'other-site', range), []);
});
