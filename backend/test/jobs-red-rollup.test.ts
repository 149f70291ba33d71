// The RED rollups (red_minutes, red_hours) with several processes at once,
// each with its own pool and store on one database, as several `collect`
// processes write them: flushes of spans with the same keys and minutes from
// every process at once sum exactly (no lost update, no deadlock left
// unretried), and backfillRedRollups run from every process at once leaves
// the rows that one backfill alone leaves, which are the rows ingest made.
import type { SpanRow } from '@justanalytics/collector';
import { sql } from 'kysely';
import t from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { backfillRedRollups } from '../src/store/traces/red-backfill.ts';
import { PostgresSink } from '../src/store/postgres-sink.ts';
import { createSite } from '../src/store/sites.ts';
import { MINUTE, MS, nanos, newSpanId, spanRow } from './helpers/query-fixtures.ts';
import { createTestDatabase, testLogger } from './helpers/test-database.ts';

const logger = testLogger();
const PROCESSES = 4;
const FLUSHES_PER_PROCESS = 12;

t.test('several processes write and backfill the same RED rows at once: exact sums, the same rows', async (t) => {
  const { url, handle } = await createTestDatabase(t);
  const siteId = (await createSite(handle.db, { name: 'red' })).id;
  const processes = await Promise.all(
    Array.from({ length: PROCESSES }, async () => {
      const h = await openDatabase({ databaseUrl: url, dataDir: '.', logger, poolSize: 3 });
      return { handle: h, sink: new PostgresSink(h.pool, { logger }) };
    }),
  );
  t.teardown(async () => {
    for (const p of processes) await p.sink.close();
    await Promise.all(processes.map((p) => p.handle.close()));
  });

  const hourStart = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
  const base = nanos(new Date(hourStart));
  // Every flush touches the same keys in the same three minutes, in an order of its own.
  const flush = (index: number): SpanRow[] => {
    const rows: SpanRow[] = [];
    for (let i = 0; i < 30; i++) {
      const minute = BigInt((i + index) % 3);
      rows.push(
        spanRow(siteId, {
          serviceName: `svc-${i % 3}`,
          name: `op-${(i + index) % 5}`,
          kind: 2,
          spanId: newSpanId(),
          startTimeUnixNano: base + minute * MINUTE + BigInt(i) * MS,
          endTimeUnixNano: base + minute * MINUTE + BigInt(i + 1 + index) * MS,
          statusCode: i % 4 === 0 ? 2 : 0,
        }),
      );
    }
    return index % 2 === 0 ? rows : rows.reverse();
  };
  let written = 0;
  let errors = 0;
  await Promise.all(
    processes.map(async ({ sink }, p) => {
      for (let f = 0; f < FLUSHES_PER_PROCESS; f++) {
        const rows = flush(p * FLUSHES_PER_PROCESS + f);
        const result = await sink.write({ signal: 'traces', siteId, rows });
        if (result.rejected !== 0) throw new Error(result.message);
        written += rows.length;
        errors += rows.filter((row) => row.statusCode === 2).length;
      }
    }),
  );

  const totals = async (table: 'red_minutes' | 'red_hours') => {
    const { rows } = await sql<{ spans: string; errors: string }>`
      SELECT sum(span_count)::text AS spans, sum(error_count)::text AS errors FROM ${sql.table(table)} WHERE site_id = ${siteId}`.execute(handle.db);
    return rows[0];
  };
  t.same(await totals('red_minutes'), { spans: String(written), errors: String(errors) }, `minutes count all ${written} spans, none lost or twice`);
  t.same(await totals('red_hours'), { spans: String(written), errors: String(errors) }, 'and so do hours');

  const snapshot = (table: 'red_minutes' | 'red_hours') =>
    sql`SELECT * FROM ${sql.table(table)} WHERE site_id = ${siteId} ORDER BY time, service_name, span_name, span_kind, is_root`.execute(handle.db).then((r) => r.rows);
  const ingested = { minutes: await snapshot('red_minutes'), hours: await snapshot('red_hours') };

  const range = { start: new Date(hourStart), end: new Date(hourStart + 3_600_000) };
  await Promise.all(processes.map(({ handle: h }) => backfillRedRollups(h.db, range, siteId)));
  t.strictSame(await snapshot('red_minutes'), ingested.minutes, 'concurrent backfills leave the minute rows ingest made');
  t.strictSame(await snapshot('red_hours'), ingested.hours, 'and the hour rows');
});
