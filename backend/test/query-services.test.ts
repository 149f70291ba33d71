// Covers listServices and listOperations over a real database: counts and
// error counts in a time range, operations per kind, and site isolation.
import t from 'tap';
import { listOperations, listServices } from '../src/query/services.ts';
import { PostgresSink } from '../src/store/postgres-sink.ts';
import { createSite } from '../src/store/sites.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';
import { MINUTE, MS, nanos, SECOND, spanRow } from './helpers/query-fixtures.ts';

const { handle } = await createTestDatabase(t);
const { db } = handle;
const sink = new PostgresSink(handle.pool, { logger: testLogger() });
t.teardown(() => sink.close());
const siteA = (await createSite(db, { name: 'a' })).id;
const siteB = (await createSite(db, { name: 'b' })).id;

const base = nanos(new Date(Date.now() - 30 * 60_000));
const range = { start: new Date(Number((base - 10n * MINUTE) / MS)), end: new Date(Number((base + 10n * MINUTE) / MS)) };

await sink.write({
  signal: 'traces',
  siteId: siteA,
  rows: [
    spanRow(siteA, { serviceName: 'checkout', name: 'GET /cart', kind: 2, startTimeUnixNano: base }),
    spanRow(siteA, { serviceName: 'checkout', name: 'GET /cart', kind: 2, statusCode: 2, startTimeUnixNano: base + SECOND }),
    spanRow(siteA, { serviceName: 'checkout', name: 'GET /cart', kind: 3, startTimeUnixNano: base + 2n * SECOND }),
    spanRow(siteA, { serviceName: 'checkout', name: 'SELECT cart', kind: 3, statusCode: 1, startTimeUnixNano: base + 3n * SECOND }),
    spanRow(siteA, { serviceName: 'auth', name: 'verify', kind: 1, statusCode: 2, startTimeUnixNano: base + 4n * SECOND }),
    // Outside the range.
    spanRow(siteA, { serviceName: 'old', name: 'gone', startTimeUnixNano: base - 20n * MINUTE }),
    spanRow(siteA, { serviceName: 'checkout', name: 'later', startTimeUnixNano: base + 20n * MINUTE }),
  ],
});
await sink.write({
  signal: 'traces',
  siteId: siteB,
  rows: [spanRow(siteB, { serviceName: 'other-site', name: 'GET /cart', startTimeUnixNano: base })],
});

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
