// The service-edge rollup job (jobs/service-edges.ts) run by several processes
// at once, each with its own pool on one database, as several `serve`
// processes run it: on a database with no rollup partitions yet, concurrent
// first runs all succeed (partition DDL and the try-lock) and leave the rows
// of one run alone; rounds of concurrent runs leave exactly the rows one run alone leaves;
// and the jobs' timers running side by side in several pools log no failure
// and leave the same rows.
import type { SpanRow } from '@justanalytics/collector';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { openDatabase, type DatabaseHandle } from '../src/db/connect.ts';
import { listPartitions } from '../src/db/partitions.ts';
import { runServiceEdgeRollup, startServiceEdgeRollup } from '../src/jobs/service-edges.ts';
import { PostgresSink } from '../src/store/postgres-sink.ts';
import { createSite } from '../src/store/sites.ts';
import { nanos } from './helpers/query-fixtures.ts';
import { threeServiceSpans } from './helpers/service-map-fixtures.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const logger = testLogger();
const PROCESSES = 4;
const minuteMs = 60_000;

async function setUp(t: Test) {
  const { url, handle } = await createTestDatabase(t);
  const sink = new PostgresSink(handle.pool, { logger });
  t.teardown(() => sink.close());
  const write = async (siteId: string, rows: SpanRow[]) => {
    const result = await sink.write({ signal: 'traces', siteId, rows });
    if (result.rejected !== 0) throw new Error(result.message);
  };
  const siteA = (await createSite(handle.db, { name: 'a' })).id;
  const siteB = (await createSite(handle.db, { name: 'b' })).id;
  const baseMs = Math.floor((Date.now() - 40 * minuteMs) / minuteMs) * minuteMs;
  // Trace sets in several minutes of two sites.
  for (let minute = 0; minute < 5; minute++) {
    await write(siteA, threeServiceSpans(siteA, nanos(new Date(baseMs + minute * minuteMs))));
    if (minute % 2 === 0) await write(siteB, threeServiceSpans(siteB, nanos(new Date(baseMs + minute * minuteMs + 30_000))));
  }
  const handles: DatabaseHandle[] = await Promise.all(
    Array.from({ length: PROCESSES }, () => openDatabase({ databaseUrl: url, dataDir: '.', logger, poolSize: 2 })),
  );
  t.teardown(() => Promise.all(handles.map((h) => h.close())));
  const storedRows = () =>
    handle.db.selectFrom('service_edge_minutes').selectAll().orderBy('site_id').orderBy('time').orderBy('source').orderBy('target').orderBy('connection').execute();
  return { handle, handles, baseMs, storedRows };
}

t.test('first runs in several processes at once: partitions made without a clash, the rows of a run alone', async (t) => {
  const { handle, handles, baseMs, storedRows } = await setUp(t);
  t.same(await listPartitions(handle.db, 'service_edge_minutes'), [], 'no rollup partitions yet');
  const now = () => baseMs + 20 * minuteMs;
  const run = (h: DatabaseHandle) => runServiceEdgeRollup({ db: h.db, now, recomputeMinutes: 30 });

  const results = await Promise.all(handles.map(run));
  // Those that found the lock taken stood aside; one that came after the first had committed recomputed the same rows.
  t.ok(results.some((result) => result.ran && result.rows > 0), 'a process computed');
  const concurrent = await storedRows();
  t.ok(concurrent.length > 0, `rows written (${concurrent.length})`);
  t.equal(new Set(concurrent.map((row) => row.site_id)).size, 2, 'of both sites');

  // What one process alone leaves.
  await handle.db.deleteFrom('service_edge_minutes').execute();
  await handle.db.deleteFrom('service_edge_progress').execute();
  await run(handle);
  const alone = await storedRows();
  t.strictSame(concurrent, alone, 'the same rows as a run alone');

  for (let round = 0; round < 5; round++) await Promise.all(handles.map(run));
  t.strictSame(await storedRows(), alone, 'rounds of concurrent runs replace rows, never add to them');
});

t.test('the job timers of several processes side by side: no failure logged, the same rows', async (t) => {
  const { handle, handles, baseMs, storedRows } = await setUp(t);
  const now = () => baseMs + 20 * minuteMs;
  const failures: string[] = [];
  const recording = pino({ level: 'error' }, { write: (line: string) => void failures.push(line) });
  let runs = 0;
  const jobs = handles.map((h) =>
    startServiceEdgeRollup({
      db: h.db,
      logger: recording,
      now: () => {
        runs++;
        return now();
      },
      recomputeMinutes: 30,
      intervalMs: 5,
    }),
  );
  await Promise.all(jobs.map((job) => job.ready));
  for (let i = 0; i < 1000 && runs < PROCESSES * 10; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  await Promise.all(jobs.map((job) => job.stop()));
  t.ok(runs >= PROCESSES * 10, `${runs} runs across ${PROCESSES} pools`);
  t.same(failures, [], 'no run failed');
  const together = await storedRows();

  await handle.db.deleteFrom('service_edge_minutes').execute();
  await handle.db.deleteFrom('service_edge_progress').execute();
  await runServiceEdgeRollup({ db: handle.db, now, recomputeMinutes: 30 });
  t.strictSame(together, await storedRows(), 'the rows of a run alone');
});
