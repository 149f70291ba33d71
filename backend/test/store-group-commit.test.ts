// The group-commit sink without any real signal: a tiny writer that inserts
// strings into a plain table covers merging into few transactions,
// maxBatchRows, several signals in one transaction, backpressure, retries of
// deadlocks and missing partitions, splitting a failed merged batch, the flush
// timeout, the database going away and coming back, close() and flush().
import { SinkOverloadedError, SinkUnavailableError } from '@justanalytics/collector';
import { sql } from 'kysely';
import type pg from 'pg';
import t, { type Test } from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import type { PartitionedTable } from '../src/db/partitions.ts';
import { PostgresSink, type PostgresSinkOptions } from '../src/store/postgres-sink.ts';
import type { Admission, AfterCommit, DayWindow, SignalWriter, SiteRows } from '../src/store/signal-writer.ts';
import { proxyInFrontOf } from './helpers/tcp-proxy.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

type TestBatch = { signal: 'letters'; siteId: string; rows: string[] } | { signal: 'digits'; siteId: string; rows: string[] };

const { handle, url } = await createTestDatabase(t);
const { db, pool } = handle;
const logger = testLogger();
await sql`CREATE TABLE test_rows (signal text NOT NULL, site_id bigint NOT NULL, value text NOT NULL CHECK (value <> 'poison'))`.execute(db);

/** Inserts each row (a string) into test_rows; refuses rows starting with "reject"; fails on demand. */
class TestWriter implements SignalWriter<string> {
  readonly tables: readonly PartitionedTable[] = [];
  readonly signal: string;
  /** SQLSTATE codes (with messages) thrown by the next write calls, one each. */
  readonly failures: Array<{ code: string; message: string }> = [];
  calls = 0;
  committedRows = 0;
  partitionChanges = 0;

  constructor(signal: string) {
    this.signal = signal;
  }

  admit(rows: readonly string[], window: DayWindow): Admission<string> {
    const accepted = rows.filter((row) => !row.startsWith('reject')).map((row) => ({ row, day: window.lastDay }));
    const rejected = rows.length - accepted.length;
    return { accepted, rejected, message: rejected === 0 ? '' : `rejected ${rejected}` };
  }

  async write(client: pg.PoolClient, writes: readonly SiteRows<string>[]): Promise<AfterCommit> {
    this.calls++;
    const failure = this.failures.shift();
    if (failure !== undefined) throw Object.assign(new Error(failure.message), { code: failure.code });
    const sites = writes.flatMap((write) => write.rows.map(() => write.siteId));
    const values = writes.flatMap((write) => write.rows.map(({ row }) => row));
    await client.query('INSERT INTO test_rows (signal, site_id, value) SELECT $1, * FROM unnest($2::bigint[], $3::text[])', [this.signal, sites, values]);
    return () => (this.committedRows += values.length);
  }

  partitionsChanged(): void {
    this.partitionChanges++;
  }
}

let nextSite = 100;
function newSiteId(): string {
  return String(nextSite++);
}

function newSink(t: Test, options: Partial<PostgresSinkOptions<TestBatch>> = {}, sinkPool: pg.Pool = pool) {
  const writers = { letters: new TestWriter('letters'), digits: new TestWriter('digits') };
  const sink = new PostgresSink<TestBatch>(sinkPool, { logger, writers, ...options });
  t.teardown(() => sink.close());
  return { sink, writers };
}

async function stored(siteId: string): Promise<Array<{ signal: string; value: string; tx: string }>> {
  const result = await sql<{ signal: string; value: string; tx: string }>`
    SELECT signal, value, xmin::text AS tx FROM test_rows WHERE site_id = ${siteId} ORDER BY value`.execute(db);
  return result.rows;
}

const values = (count: number, prefix = 'v') => Array.from({ length: count }, (_, i) => `${prefix}${i}-${Math.random()}`);

t.test('concurrent writes are merged into few transactions; every row lands once and is reported after COMMIT', async (t) => {
  const siteId = newSiteId();
  const { sink, writers } = newSink(t);
  const writes = Array.from({ length: 40 }, () => values(25));
  const results = await Promise.all(writes.map((rows) => sink.write({ signal: 'letters', siteId, rows })));
  t.same(results, writes.map(() => ({ rejected: 0, message: '' })));
  const rows = await stored(siteId);
  t.same(new Set(rows.map((row) => row.value)), new Set(writes.flat()));
  t.equal(rows.length, 1000);
  const transactions = new Set(rows.map((row) => row.tx)).size;
  t.ok(transactions < writes.length, `${writes.length} writes were committed in ${transactions} transactions`);
  t.equal(writers.letters.committedRows, 1000, "the writer's after-commit step ran for every row");
  t.equal(sink.pendingRows, 0);
});

t.test('a flush takes at most maxBatchRows rows', async (t) => {
  const siteId = newSiteId();
  const { sink } = newSink(t, { maxBatchRows: 10 });
  await Promise.all(Array.from({ length: 5 }, () => sink.write({ signal: 'letters', siteId, rows: values(4) })));
  const rows = await stored(siteId);
  t.equal(rows.length, 20);
  // Queued together: 4+4 rows, 4+4 rows, then 4 rows.
  t.equal(new Set(rows.map((row) => row.tx)).size, 3);
});

t.test("writes of several signals share a flush and commit together, each through its signal's writer", async (t) => {
  const siteId = newSiteId();
  const { sink, writers } = newSink(t);
  await Promise.all([
    sink.write({ signal: 'letters', siteId, rows: ['a', 'b'] }),
    sink.write({ signal: 'digits', siteId, rows: ['1'] }),
    sink.write({ signal: 'letters', siteId, rows: ['c'] }),
  ]);
  const rows = await stored(siteId);
  t.same(
    rows.map((row) => [row.signal, row.value]),
    [
      ['digits', '1'],
      ['letters', 'a'],
      ['letters', 'b'],
      ['letters', 'c'],
    ],
  );
  t.equal(new Set(rows.map((row) => row.tx)).size, 1, 'one transaction');
  t.equal(writers.letters.calls, 1, "one writer call per signal per flush, with all of the signal's writes");
  t.equal(writers.digits.calls, 1);
});

t.test("rows the writer refuses are reported in the result and never queued; an unknown signal is an error", async (t) => {
  const siteId = newSiteId();
  const { sink, writers } = newSink(t);
  t.same(await sink.write({ signal: 'letters', siteId, rows: ['reject-me', 'keep'] }), { rejected: 1, message: 'rejected 1' });
  t.same(await sink.write({ signal: 'letters', siteId, rows: ['reject-all'] }), { rejected: 1, message: 'rejected 1' });
  t.equal(writers.letters.calls, 1, 'a write with nothing accepted does not flush');
  t.same((await stored(siteId)).map((row) => row.value), ['keep']);
  await t.rejects(sink.write({ signal: 'nothing' as 'letters', siteId, rows: ['x'] }), /no writer for "nothing"/);
});

t.test('over maxQueuedRows, writes are refused with SinkOverloadedError until the queue drains', async (t) => {
  const siteId = newSiteId();
  const { sink } = newSink(t, { maxQueuedRows: 10, overloadedRetryAfterSeconds: 3 });
  const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => sink.write({ signal: 'letters', siteId, rows: values(5) })));
  t.same(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  const refused = outcomes[2];
  t.ok(refused?.status === 'rejected' && refused.reason instanceof SinkOverloadedError);
  t.equal(refused?.status === 'rejected' && (refused.reason as SinkOverloadedError).retryAfterSeconds, 3);
  t.equal((await stored(siteId)).length, 10);
  t.same(await sink.write({ signal: 'letters', siteId, rows: values(5) }), { rejected: 0, message: '' }, 'accepted again once drained');
  // One write larger than the bound is still taken when nothing else waits.
  t.same(await sink.write({ signal: 'letters', siteId, rows: values(15) }), { rejected: 0, message: '' });
  t.equal((await stored(siteId)).length, 30);
});

t.test('a deadlock is retried, up to three attempts', async (t) => {
  const siteId = newSiteId();
  const { sink, writers } = newSink(t);
  writers.letters.failures.push({ code: '40P01', message: 'deadlock detected' }, { code: '40P01', message: 'deadlock detected' });
  t.same(await sink.write({ signal: 'letters', siteId, rows: ['after-two-deadlocks'] }), { rejected: 0, message: '' });
  t.equal(writers.letters.calls, 3);
  writers.letters.failures.push(...[1, 2, 3].map(() => ({ code: '40P01', message: 'deadlock detected' })));
  await t.rejects(sink.write({ signal: 'letters', siteId, rows: ['never'] }), /storing the rows failed: deadlock detected/);
  t.same((await stored(siteId)).map((row) => row.value), ['after-two-deadlocks']);
});

t.test('a missing partition is retried, and every writer is told to forget what it wrote', async (t) => {
  const siteId = newSiteId();
  const { sink, writers } = newSink(t);
  writers.letters.failures.push({ code: '23514', message: 'no partition of relation "spans" found for row' });
  t.same(await sink.write({ signal: 'letters', siteId, rows: ['x'] }), { rejected: 0, message: '' });
  t.equal(writers.letters.partitionChanges, 1);
  t.equal(writers.digits.partitionChanges, 1, 'a writer of another signal too: a shared table may have lost a partition');
  t.equal((await stored(siteId)).length, 1);
});

t.test("a batch the database refuses fails alone; other clients' rows in the same flush land", async (t) => {
  const siteId = newSiteId();
  const { sink, writers } = newSink(t);
  const outcomes = await Promise.allSettled([
    sink.write({ signal: 'letters', siteId, rows: ['a1', 'a2'] }),
    sink.write({ signal: 'letters', siteId, rows: ['b1', 'poison'] }),
    sink.write({ signal: 'digits', siteId, rows: ['c1'] }),
  ]);
  t.same(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled']);
  const failed = outcomes[1];
  if (failed?.status === 'rejected') {
    t.notOk(failed.reason instanceof SinkUnavailableError || failed.reason instanceof SinkOverloadedError, 'an internal error, not a retryable one');
    t.match((failed.reason as Error).message, /test_rows_value_check/);
  }
  t.same((await stored(siteId)).map((row) => row.value), ['a1', 'a2', 'c1']);
  t.equal(writers.letters.committedRows, 2, 'the after-commit step runs only for what committed');
});

t.test('a flush stuck behind a lock times out as unavailable, and the next one lands', async (t) => {
  const siteId = newSiteId();
  const { sink } = newSink(t, { flushTimeoutMs: 300, unavailableRetryAfterSeconds: 4 });
  const blocker = await pool.connect();
  t.teardown(() => blocker.release());
  await blocker.query('BEGIN; LOCK TABLE test_rows IN ACCESS EXCLUSIVE MODE');
  const stuck = await sink.write({ signal: 'letters', siteId, rows: ['stuck'] }).then(
    () => null,
    (error: unknown) => error,
  );
  t.ok(stuck instanceof SinkUnavailableError, 'a retryable error, not a request that never answers');
  t.equal((stuck as SinkUnavailableError).retryAfterSeconds, 4);
  await blocker.query('ROLLBACK');
  t.same(await sink.write({ signal: 'letters', siteId, rows: ['next'] }), { rejected: 0, message: '' });
  t.same((await stored(siteId)).map((row) => row.value), ['next']);
});

t.test('with the database unreachable writes fail as unavailable, and succeed again when it is back', async (t) => {
  const siteId = newSiteId();
  const { proxy, url: viaProxy } = await proxyInFrontOf(t, url);
  const flaky = await openDatabase({ databaseUrl: viaProxy, dataDir: '.', logger, poolSize: 2 });
  t.teardown(() => flaky.close());
  const { sink } = newSink(t, { unavailableRetryAfterSeconds: 7 }, flaky.pool);

  await sink.write({ signal: 'letters', siteId, rows: ['before'] });
  await proxy.stop(); // cuts the pooled connections and refuses new ones
  const outcomes = await Promise.allSettled([1, 2, 3].map((i) => sink.write({ signal: 'letters', siteId, rows: [`lost${i}`] })));
  for (const outcome of outcomes) {
    t.ok(outcome.status === 'rejected' && outcome.reason instanceof SinkUnavailableError, 'unavailable');
    t.equal(outcome.status === 'rejected' && (outcome.reason as SinkUnavailableError).retryAfterSeconds, 7);
  }
  t.equal(sink.pendingRows, 0, 'failed rows leave the queue');

  await proxy.start();
  t.same(await sink.write({ signal: 'letters', siteId, rows: ['after'] }), { rejected: 0, message: '' });
  t.same((await stored(siteId)).map((row) => row.value), ['after', 'before']);
});

t.test('close() drains everything queued, then refuses writes; safe twice', async (t) => {
  const siteId = newSiteId();
  const { sink } = newSink(t);
  const pending = Array.from({ length: 20 }, () => sink.write({ signal: 'letters', siteId, rows: values(2) }));
  await sink.close();
  t.equal((await stored(siteId)).length, 40, 'all queued rows are committed when close resolves');
  t.equal((await Promise.all(pending)).length, 20);
  await t.rejects(sink.write({ signal: 'letters', siteId, rows: ['late'] }), SinkUnavailableError);
  await sink.close();
  await sink.flush();
});

t.test('flush() waits for the writes under way', async (t) => {
  const siteId = newSiteId();
  const { sink } = newSink(t);
  await sink.flush(); // idle: resolves at once
  let committed = false;
  const write = sink.write({ signal: 'letters', siteId, rows: ['x'] }).then(() => (committed = true));
  await sink.flush();
  t.ok(committed, 'the write was committed before flush resolved');
  await write;
});

t.test('flush() does not wait for writes that arrive after it was called', async (t) => {
  const siteId = newSiteId();
  const { sink } = newSink(t);
  let stop = false;
  let later = 0;
  const first = sink.write({ signal: 'letters', siteId, rows: ['first'] });
  const flushed = sink.flush();
  // Keep the sink busy with a stream of new writes until told to stop.
  const stream = (async () => {
    while (!stop && later < 1000) {
      await sink.write({ signal: 'letters', siteId, rows: [`later${later}`] });
      later++;
    }
  })();
  await flushed;
  stop = true;
  t.ok(later < 1000, 'flush resolved while new writes kept coming');
  await first;
  await stream;
});

t.test('invalid options and site IDs are refused', async (t) => {
  t.throws(() => new PostgresSink(pool, { logger, maxQueuedRows: 0 }), RangeError);
  t.throws(() => new PostgresSink(pool, { logger, retentionDays: 0 }), RangeError);
  t.throws(() => new PostgresSink(pool, { logger, signalRetentionDays: { traces: -1 } }), RangeError);
  const { sink } = newSink(t);
  await t.rejects(sink.write({ signal: 'letters', siteId: 'abc', rows: ['x'] }), /invalid site ID/);
});

t.test('each signal has its own window of kept days: the default retention, or its own', async (t) => {
  const siteId = newSiteId();
  const windows: Record<string, DayWindow> = {};
  const spy = (signal: string): TestWriter => {
    const writer = new TestWriter(signal);
    const admit = writer.admit.bind(writer);
    writer.admit = (rows, window) => {
      windows[signal] = window;
      return admit(rows, window);
    };
    return writer;
  };
  const sink = new PostgresSink<TestBatch>(pool, {
    logger,
    writers: { letters: spy('letters'), digits: spy('digits') },
    retentionDays: 30,
    signalRetentionDays: { digits: 7 },
    futureDays: 2,
    now: () => Date.parse('2026-11-23T12:00:00Z'),
  });
  t.teardown(() => sink.close());
  await sink.write({ signal: 'letters', siteId, rows: ['reject'] });
  await sink.write({ signal: 'digits', siteId, rows: ['reject'] });
  const today = Date.parse('2026-11-23T00:00:00Z') / 86_400_000;
  t.same(windows, { letters: { firstDay: today - 30, lastDay: today + 2 }, digits: { firstDay: today - 7, lastDay: today + 2 } });
});
