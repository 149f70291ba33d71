import { sql, type Kysely } from 'kysely';

// Attribute search without reading spans: each trace summary row keeps the
// 64-bit hashes (PostgreSQL's hashtextextended(text, 0), db/text-hash.ts) of
// the distinct `key=value` texts of its spans' and their resources' scalar
// attributes, under a GIN index. A search looks up the filter's hash and
// checks only those traces' spans exactly (hashes collide).
//
// 0 in the array means "not indexed, read the spans": a row over the writer's
// cap holds only {0}, and so do rows written before this migration (a
// constant default adds the column without rewriting the table).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE trace_summaries ADD COLUMN attribute_hashes bigint[] NOT NULL DEFAULT '{0}'`.execute(db);
  // GIN on the array alone: btree_gin would put site_id first, but an
  // extension is not ours to require; the search's site and day predicates
  // filter the few rows a rare value finds.
  await sql`CREATE INDEX trace_summaries_attribute_hashes_idx ON trace_summaries USING gin (attribute_hashes)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX trace_summaries_attribute_hashes_idx`.execute(db);
  await sql`ALTER TABLE trace_summaries DROP COLUMN attribute_hashes`.execute(db);
}
