// Every column spec of a table the store writes (db/tables/*.ts: spans and
// logs by COPY, trace_summaries and resource_scopes by unnest inserts) against the
// catalog of a migrated database: the spec's columns are the table's columns,
// in the table's order, with the types the spec encodes for. A column renamed
// or retyped by a migration fails here, not at the first flush in production.
import { sql } from 'kysely';
import t from 'tap';
import { copyEventsSql, eventColumns } from '../src/db/tables/events.ts';
import { identityColumns } from '../src/db/tables/identities.ts';
import { copyLogsSql, logColumns } from '../src/db/tables/logs.ts';
import { copyMetricPointsSql, metricPointColumns } from '../src/db/tables/metric-points.ts';
import { metricSeriesColumns } from '../src/db/tables/metric-series.ts';
import { resourceScopeColumns } from '../src/db/tables/resource-scopes.ts';
import { sessionColumns } from '../src/db/tables/sessions.ts';
import { copySpansSql, spanColumns } from '../src/db/tables/spans.ts';
import { traceSummaryColumns } from '../src/db/tables/trace-summaries.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const { handle } = await createTestDatabase(t);
const { db } = handle;

const specs: Array<{ table: string; columns: ReadonlyArray<{ name: string; type: string }> }> = [
  { table: 'spans', columns: spanColumns },
  { table: 'trace_summaries', columns: traceSummaryColumns },
  { table: 'resource_scopes', columns: resourceScopeColumns },
  { table: 'logs', columns: logColumns },
  { table: 'metric_series', columns: metricSeriesColumns },
  { table: 'metric_points', columns: metricPointColumns },
  { table: 'events', columns: eventColumns },
  { table: 'sessions', columns: sessionColumns },
  { table: 'identities', columns: identityColumns },
];

t.equal(copySpansSql, `COPY spans (${spanColumns.map((column) => column.name).join(', ')}) FROM STDIN`, 'the COPY statement lists the spec');
t.equal(copyLogsSql, `COPY logs (${logColumns.map((column) => column.name).join(', ')}) FROM STDIN`, 'so does the logs one');
t.equal(copyMetricPointsSql, `COPY metric_points (${metricPointColumns.map((column) => column.name).join(', ')}) FROM STDIN`, 'and the metric points one');
t.equal(copyEventsSql, `COPY events (${eventColumns.map((column) => column.name).join(', ')}) FROM STDIN`, 'and the events one');

for (const { table, columns } of specs) {
  t.test(`${table}: the spec matches the catalog`, async (t) => {
    const { rows } = await sql<{ column_name: string; udt_name: string }>`
      SELECT column_name, udt_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ${table} ORDER BY ordinal_position`.execute(db);
    t.ok(rows.length > 0, 'the table exists');
    t.same(
      columns.map((column) => column.name),
      rows.map((row) => row.column_name),
      'every column of the table, in its order',
    );
    t.same(
      columns.map((column) => [column.name, column.type]),
      rows.map((row) => [row.column_name, row.udt_name]),
      'with the types the spec encodes for',
    );
  });
}
