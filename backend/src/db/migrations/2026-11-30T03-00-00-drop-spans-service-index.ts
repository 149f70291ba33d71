import { sql, type Kysely } from 'kysely';

// spans_service_idx (site, service, name, start) served the first trace
// search and services list; both now read trace summaries and RED rollups,
// and the only readers left, the service map's and the RED backfill's range
// scans, chose it over the start-time BRIN and read more through it (the
// edge rollup over 15 minutes at 10M spans: 764 ms through it, 239 ms through
// the BRIN). It was also the costliest index to keep: written in service
// order, not time order, so every span's entry lands in a random leaf (108
// bytes a span at 10M seeded spans, and page splits and full-page WAL writes
// at ingest).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX spans_service_idx`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX spans_service_idx ON spans (site_id, service_name, name, start_time DESC)`.execute(db);
}
