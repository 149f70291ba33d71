import { sql, type Kysely } from 'kysely';

// The service map's edge rollup, and the index its live join reads spans by.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Spans by time alone: the service map reads every edge-making span of a
  // range whatever its service. Spans are written roughly in start order, so
  // a BRIN index finds a range's pages at almost no cost to ingest (a few
  // pages per partition), where a B-tree would be a second copy of the times.
  await sql`CREATE INDEX spans_start_time_brin ON spans USING brin (start_time) WITH (pages_per_range = 16)`.execute(db);

  // Per site, minute (of the callee's span start, or the client's for a
  // virtual target) and edge: the calls and the callee latencies, as the RED
  // rollups' sketch (red_latency_bucket). Written only by the service-edges
  // job, which recomputes recent closed minutes from spans and replaces them:
  // a rerun, or a run in another process, gives the same rows.
  await sql`
    CREATE TABLE service_edge_minutes (
      site_id bigint NOT NULL,
      time timestamptz NOT NULL,
      source text NOT NULL,
      target text NOT NULL,
      -- service, database, cache, queue or external
      target_type text NOT NULL,
      -- http, rpc, messaging or database
      connection text NOT NULL,
      call_count bigint NOT NULL,
      error_count bigint NOT NULL,
      latency_buckets integer[] NOT NULL,
      latency_counts bigint[] NOT NULL,
      PRIMARY KEY (site_id, time, source, target, target_type, connection)
    ) PARTITION BY RANGE (time)`.execute(db);

  // How far the job has computed: every minute in [computed_from,
  // computed_until) has rows (or had no calls). One row, shared by all sites.
  await sql`
    CREATE TABLE service_edge_progress (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      computed_from timestamptz NOT NULL,
      computed_until timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE service_edge_progress`.execute(db);
  await sql`DROP TABLE service_edge_minutes`.execute(db);
  await sql`DROP INDEX spans_start_time_brin`.execute(db);
}
