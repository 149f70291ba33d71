import { sql, type Kysely } from 'kysely';

// Sites and keys are small shared tables (reference tables under Citus); the
// signal tables are range-partitioned by day, keyed by site_id first, with no
// foreign keys between them. Partitions themselves are made by db/partitions.ts.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sites')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('domain', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('site_id', 'bigint', (c) => c.notNull().references('sites.id').onDelete('cascade'))
    .addColumn('name', 'text')
    // The first characters of the key, shown in listings so a key can be recognised.
    .addColumn('prefix', 'text', (c) => c.notNull())
    // SHA-256 of the whole key: the secret itself is never stored.
    .addColumn('secret_hash', 'bytea', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_keys_site_id_idx').on('api_keys').column('site_id').execute();

  await sql`
    CREATE TABLE spans (
      site_id bigint NOT NULL,
      trace_id bytea NOT NULL,
      span_id bytea NOT NULL,
      parent_span_id bytea,
      trace_state text NOT NULL,
      flags bigint NOT NULL,
      name text NOT NULL,
      kind smallint NOT NULL,
      start_time timestamptz NOT NULL,
      start_time_unix_nano bigint NOT NULL,
      end_time_unix_nano bigint NOT NULL,
      duration_ns bigint NOT NULL,
      service_name text NOT NULL,
      status_code smallint NOT NULL,
      status_message text NOT NULL,
      http_route text,
      http_status_code integer,
      attributes jsonb NOT NULL,
      dropped_attributes_count bigint NOT NULL,
      events jsonb NOT NULL,
      dropped_events_count bigint NOT NULL,
      links jsonb NOT NULL,
      dropped_links_count bigint NOT NULL,
      -- The span's resource and scope, stored once in resource_scopes.
      resource_scope_id bytea NOT NULL
    ) PARTITION BY RANGE (start_time)`.execute(db);
  // No unique key: COPY cannot skip duplicates, and an exporter that retries a
  // committed export would fail its whole batch. Readers de-duplicate by span_id.
  await sql`CREATE INDEX spans_trace_idx ON spans (site_id, trace_id)`.execute(db);
  await sql`CREATE INDEX spans_service_idx ON spans (site_id, service_name, name, start_time DESC)`.execute(db);

  // One row per trace per day of its spans' start times, upserted at ingest so
  // that trace lists never read spans. A trace that crosses midnight has two
  // rows; readers merge them.
  await sql`
    CREATE TABLE trace_summaries (
      site_id bigint NOT NULL,
      trace_id bytea NOT NULL,
      day timestamptz NOT NULL,
      start_time timestamptz NOT NULL,
      start_time_unix_nano bigint NOT NULL,
      end_time_unix_nano bigint NOT NULL,
      span_count bigint NOT NULL,
      error_count bigint NOT NULL,
      root_service_name text,
      root_span_name text,
      PRIMARY KEY (site_id, trace_id, day)
    ) PARTITION BY RANGE (day)`.execute(db);
  await sql`CREATE INDEX trace_summaries_start_idx ON trace_summaries (site_id, start_time DESC, trace_id DESC)`.execute(db);

  // Each distinct (resource, scope) pair of a site, once per UTC day it has
  // spans on; spans refer to it by id, a hash of the four values, so every
  // day's row of one id holds the same content. Per day so that retention
  // drops it with the spans that use it.
  await sql`
    CREATE TABLE resource_scopes (
      site_id bigint NOT NULL,
      day timestamptz NOT NULL,
      id bytea NOT NULL,
      resource jsonb NOT NULL,
      resource_schema_url text NOT NULL,
      scope jsonb NOT NULL,
      scope_schema_url text NOT NULL,
      PRIMARY KEY (site_id, id, day)
    ) PARTITION BY RANGE (day)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('resource_scopes').execute();
  await db.schema.dropTable('trace_summaries').execute();
  await db.schema.dropTable('spans').execute();
  await db.schema.dropTable('api_keys').execute();
  await db.schema.dropTable('sites').execute();
}
