import { sql, type Kysely } from 'kysely';

// OTLP log records, range-partitioned by day like spans, keyed by site_id
// first. A record's resource and scope are the shared resource_scopes rows.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Trigram indexes answer the substring search of log text. pg_trgm is a
  // trusted extension (PostgreSQL 13+): a database owner may create it.
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);

  await sql`
    CREATE TABLE logs (
      site_id bigint NOT NULL,
      -- When the record happened: its time, else its observed time, else the
      -- time it was received. Partitions, ranges and order go by it.
      time timestamptz NOT NULL,
      -- The same instant in exact nanoseconds, for order and cursors.
      time_ns bigint NOT NULL,
      -- The two times as the record carried them (0 when absent), returned as sent.
      time_unix_nano bigint NOT NULL,
      observed_time_unix_nano bigint NOT NULL,
      severity_number smallint NOT NULL,
      severity_text text NOT NULL,
      -- The body as an OTLP/JSON AnyValue ({} when it had none).
      body jsonb NOT NULL,
      attributes jsonb NOT NULL,
      dropped_attributes_count bigint NOT NULL,
      flags bigint NOT NULL,
      trace_id bytea,
      span_id bytea,
      event_name text NOT NULL,
      service_name text NOT NULL,
      resource_scope_id bytea NOT NULL,
      -- The body's and string attributes' text, case-folded by the application
      -- (the same fold on every database, whatever its locale), for search.
      search_text text NOT NULL
    ) PARTITION BY RANGE (time)`.execute(db);
  await sql`CREATE INDEX logs_time_idx ON logs (site_id, time DESC)`.execute(db);
  await sql`CREATE INDEX logs_service_idx ON logs (site_id, service_name, time DESC)`.execute(db);
  await sql`CREATE INDEX logs_trace_idx ON logs (site_id, trace_id, time) WHERE trace_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX logs_search_idx ON logs USING gin (search_text gin_trgm_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('logs').execute();
}
