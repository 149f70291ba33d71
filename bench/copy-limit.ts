// The storage limit of span ingest: the same span rows the ingest phase sent,
// as the COPY text the span writer makes of them (the same column specs),
// COPYed straight into a table with the columns of `spans`, daily-partitioned
// like it, with only the (site_id, trace_id) index, on the same database. No
// HTTP, no decoding, no summaries or rollups: what PostgreSQL alone takes.
// The buffers are built before the clock starts; each COPY gets new trace IDs
// (fresh-trace-ids.ts), as the ingest phase's requests do.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { decodeSpanRows } from '@justanalytics/collector';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyChunks, copyStatement } from '../backend/src/db/tables/columns.ts';
import { spanColumns } from '../backend/src/db/tables/spans.ts';
import { ResourceScopeIds } from '../backend/src/store/resource-scopes.ts';
import { spanCopyRows } from '../backend/src/store/traces/span-writer.ts';
import { FreshTraceIds } from './fresh-trace-ids.ts';
import { latencyOf, type Latency } from './latency.ts';

const table = 'bench_copy_spans';
const dayMs = 86_400_000;

export interface CopyLimit {
  /** Concurrent connections, each COPYing one buffer per transaction. */
  writers: number;
  rowsPerCopy: number;
  rows: number;
  rowsPerSecond: number;
  /** Rows in the table afterwards, the warm-up's included: rowsCounted − warmUpRows must be `rows`. */
  rowsCounted: number;
  warmUpRows: number;
  latency: Latency;
  /** The database's CPU seconds ÷ wall time over the measured COPYs, when a `databaseCpuSeconds` was given. */
  databaseCpuCores: number | null;
}

/** Makes the table (dropping an older one), measures for `seconds`, drops it again. */
export async function measureCopyLimit(
  pool: pg.Pool,
  siteId: string,
  payloads: readonly { body: Buffer }[],
  options: { seconds: number; writers: number; requestsPerCopy: number; databaseCpuSeconds?: () => number },
): Promise<CopyLimit> {
  const buffers: FreshTraceIds[] = [];
  const rowCounts: number[] = [];
  for (let i = 0; i + options.requestsPerCopy <= payloads.length; i += options.requestsPerCopy) {
    const group = payloads.slice(i, i + options.requestsPerCopy);
    const writes = group.map(({ body }) => ({ siteId, rows: decodeSpanRows(body, 'protobuf', siteId).rows.map((row) => ({ row, day: 0 })) }));
    const text = [...copyChunks(spanColumns, spanCopyRows(writes, new ResourceScopeIds()))].join('');
    // The trace IDs as decoded: the ingest phases renewed the requests' own in place.
    const traceIds = new Map(writes.flatMap((write) => write.rows.map(({ row }) => [row.traceId.toString('hex'), row.traceId] as const)));
    buffers.push(new FreshTraceIds(Buffer.from(text), [...traceIds.values()], true));
    rowCounts.push(writes.reduce((sum, write) => sum + write.rows.length, 0));
  }
  if (buffers.length < 2 * options.writers) throw new Error('too few payloads for the COPY writers: each buffer must be out of use before it is renewed');
  const copySql = copyStatement(table, spanColumns);
  await createTable(pool);
  const clients = await Promise.all(Array.from({ length: options.writers }, () => pool.connect()));
  try {
    let next = 0;
    let warmUpRows = 0;
    for (const client of clients) {
      const i = next++ % buffers.length;
      await copy(client, copySql, buffers[i]!.renew());
      warmUpRows += rowCounts[i]!;
    }
    let rows = 0;
    const samples: number[] = [];
    const cpuBefore = options.databaseCpuSeconds?.();
    const started = performance.now();
    const end = started + options.seconds * 1000;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < end) {
          const i = next++ % buffers.length;
          const sent = performance.now();
          await copy(client, copySql, buffers[i]!.renew());
          samples.push(performance.now() - sent);
          rows += rowCounts[i]!;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuBefore === undefined ? null : options.databaseCpuSeconds!() - cpuBefore;
    const counted = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return {
      writers: options.writers,
      rowsPerCopy: Math.round(rowCounts.reduce((a, b) => a + b, 0) / rowCounts.length),
      rows,
      rowsPerSecond: Math.round(rows / elapsed),
      rowsCounted: Number(counted.rows[0]!.n),
      warmUpRows,
      latency: latencyOf(samples),
      databaseCpuCores: cpu === null ? null : Math.round((cpu / elapsed) * 100) / 100,
    };
  } finally {
    for (const client of clients) client.release();
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** Like spans: the same columns, partitions by UTC day of start_time (yesterday to tomorrow), the (site_id, trace_id) index alone. */
async function createTable(pool: pg.Pool): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(`CREATE TABLE ${table} (LIKE spans INCLUDING STORAGE INCLUDING COMPRESSION) PARTITION BY RANGE (start_time)`);
  const today = Math.floor(Date.now() / dayMs);
  for (let day = today - 1; day <= today + 1; day++) {
    const from = new Date(day * dayMs).toISOString();
    const to = new Date((day + 1) * dayMs).toISOString();
    await pool.query(`CREATE TABLE ${table}_p${from.slice(0, 10).replaceAll('-', '')} PARTITION OF ${table} FOR VALUES FROM ('${from}') TO ('${to}')`);
  }
  await pool.query(`CREATE INDEX ON ${table} (site_id, trace_id)`);
}

/** One COPY of one buffer, in its own transaction (autocommit), resolved when the server has committed it. */
async function copy(client: pg.PoolClient, copySql: string, buffer: Buffer): Promise<void> {
  const stream = client.query(copyFrom(copySql));
  const done = finished(stream);
  if (!stream.write(buffer)) await Promise.race([once(stream, 'drain'), done]);
  stream.end();
  await done;
}
