import { sql, type Kysely } from 'kysely';

// Web and product analytics: site settings, events, sessions, identities, the
// visitor salts, drop counts, saved funnels and goals, and the rollups.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Site settings as the owner typed them (configuration, not visitor data).
  // The single `domain` becomes the first of `domains`.
  await sql`
    ALTER TABLE sites
      ADD COLUMN domains text[] NOT NULL DEFAULT '{}',
      ADD COLUMN timezone text NOT NULL DEFAULT 'UTC',
      ADD COLUMN excluded_ips text[] NOT NULL DEFAULT '{}',
      ADD COLUMN excluded_countries text[] NOT NULL DEFAULT '{}'`.execute(db);
  await sql`UPDATE sites SET domains = ARRAY[domain] WHERE domain IS NOT NULL`.execute(db);
  await sql`ALTER TABLE sites DROP COLUMN domain`.execute(db);

  // One row per event. What describes the visit (source, UTM, place, device)
  // is kept once by its session, not by every event.
  await sql`
    CREATE TABLE events (
      site_id bigint NOT NULL,
      time timestamptz NOT NULL,
      -- The same instant in exact nanoseconds.
      time_ns bigint NOT NULL,
      event_id bytea NOT NULL,
      name text NOT NULL,
      session_id bigint NOT NULL,
      visitor_id bigint NOT NULL,
      user_id text,
      anonymous_id text,
      hostname text NOT NULL,
      pathname text NOT NULL,
      query text NOT NULL,
      title text NOT NULL,
      engagement_ms bigint,
      scroll_depth smallint,
      props jsonb NOT NULL,
      origin text NOT NULL
    ) PARTITION BY RANGE (time)`.execute(db);
  await sql`CREATE INDEX events_time_idx ON events (site_id, time)`.execute(db);
  await sql`CREATE INDEX events_session_idx ON events (site_id, session_id, time)`.execute(db);
  await sql`CREATE INDEX events_user_idx ON events (site_id, user_id, time) WHERE user_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX events_anonymous_idx ON events (site_id, anonymous_id, time) WHERE anonymous_id IS NOT NULL`.execute(db);

  // One row per visit, made by its first event and updated by the store as
  // later events arrive (never recomputed from events). Partitioned by the
  // visit's start, so a visit crossing midnight stays in its first day.
  await sql`
    CREATE TABLE sessions (
      site_id bigint NOT NULL,
      started_at timestamptz NOT NULL,
      session_id bigint NOT NULL,
      visitor_id bigint NOT NULL,
      user_id text,
      anonymous_id text,
      last_seen_at timestamptz NOT NULL,
      hostname text NOT NULL,
      entry_page text NOT NULL,
      exit_page text NOT NULL,
      pageviews bigint NOT NULL,
      -- The visit's events, pageviews included, engagement events not (the events metric).
      events bigint NOT NULL,
      -- A custom event, or an engagement event of 10 s or more: not a bounce.
      engaged boolean NOT NULL,
      referrer text NOT NULL,
      referrer_source text NOT NULL,
      channel text NOT NULL,
      utm_source text NOT NULL,
      utm_medium text NOT NULL,
      utm_campaign text NOT NULL,
      utm_term text NOT NULL,
      utm_content text NOT NULL,
      click_id text NOT NULL,
      country text NOT NULL,
      region text NOT NULL,
      city text NOT NULL,
      browser text NOT NULL,
      browser_version text NOT NULL,
      os text NOT NULL,
      os_version text NOT NULL,
      device text NOT NULL,
      screen_width integer,
      screen_height integer,
      origin text NOT NULL,
      PRIMARY KEY (site_id, started_at, session_id)
    ) PARTITION BY RANGE (started_at)`.execute(db);
  await sql`CREATE INDEX sessions_visitor_idx ON sessions (site_id, visitor_id, last_seen_at)`.execute(db);
  await sql`CREATE INDEX sessions_id_idx ON sessions (site_id, session_id)`.execute(db);
  await sql`CREATE INDEX sessions_user_idx ON sessions (site_id, user_id, started_at) WHERE user_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX sessions_anonymous_idx ON sessions (site_id, anonymous_id) WHERE anonymous_id IS NOT NULL`.execute(db);

  // Which user an anonymous ID turned out to be: one row per (site, anonymous
  // ID), the latest identify winning. Small and kept while the site is.
  await sql`
    CREATE TABLE identities (
      site_id bigint NOT NULL,
      anonymous_id text NOT NULL,
      user_id text NOT NULL,
      traits jsonb NOT NULL,
      first_seen_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      PRIMARY KEY (site_id, anonymous_id)
    )`.execute(db);
  await sql`CREATE INDEX identities_user_idx ON identities (site_id, user_id)`.execute(db);

  // The visitor hash's daily salts: random, one per UTC day, deleted 48 hours
  // after their day began. Shared by every site (the site is in the hash).
  await sql`
    CREATE TABLE visitor_salts (
      day date PRIMARY KEY,
      salt bytea NOT NULL
    )`.execute(db);

  // Events dropped before storage, per site, UTC day and reason.
  await sql`
    CREATE TABLE analytics_drops (
      site_id bigint NOT NULL,
      day timestamptz NOT NULL,
      reason text NOT NULL,
      count bigint NOT NULL,
      PRIMARY KEY (site_id, day, reason)
    ) PARTITION BY RANGE (day)`.execute(db);

  // Saved funnels and goals: site configuration, IDs made by the application.
  await sql`
    CREATE TABLE analytics_funnels (
      site_id bigint NOT NULL,
      id bigint NOT NULL,
      name text NOT NULL,
      definition jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (site_id, id)
    )`.execute(db);
  await sql`
    CREATE TABLE analytics_goals (
      site_id bigint NOT NULL,
      id bigint NOT NULL,
      name text NOT NULL,
      definition jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (site_id, id)
    )`.execute(db);

  // Rollups per site, bucket and dimension value (dimension '' value '' is the
  // whole site). grain is the bucket's length in minutes: 60 (UTC hours) or
  // 1440 (UTC days), so a long range reads days plus hours; the quarter-hour
  // edges of zones offset by :30 or :45, and hours still marked dirty, are
  // computed from raw rows by the query (quarter rows were a third of the
  // rows and most of the job's time). Visits, bounces and duration belong to
  // the bucket the visit started in; pageviews and events to their own.
  // visitors (and, for event dimensions, visits) are distinct counts kept as
  // mergeable sketches (rollups/visitor-sketch.ts). Written only by the
  // analytics-rollups job, which recomputes dirty hours and replaces their
  // rows and their days'.
  await sql`
    CREATE TABLE analytics_rollups (
      site_id bigint NOT NULL,
      bucket timestamptz NOT NULL,
      grain smallint NOT NULL,
      dimension text NOT NULL,
      value text NOT NULL,
      visitors bytea NOT NULL,
      visit_sketch bytea,
      visits bigint NOT NULL,
      pageviews bigint NOT NULL,
      events bigint NOT NULL,
      bounces bigint NOT NULL,
      duration_ms bigint NOT NULL,
      PRIMARY KEY (site_id, grain, dimension, bucket, value)
    ) PARTITION BY RANGE (bucket)`.execute(db);

  // 15-minute buckets whose events or visits changed since the job last
  // rolled them up: marked by the store in each flush, cleared by the job
  // (which recomputes the hours holding them).
  await sql`
    CREATE TABLE analytics_dirty_buckets (
      site_id bigint NOT NULL,
      bucket timestamptz NOT NULL,
      marked_at timestamptz NOT NULL,
      PRIMARY KEY (site_id, bucket)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'analytics_dirty_buckets',
    'analytics_rollups',
    'analytics_goals',
    'analytics_funnels',
    'analytics_drops',
    'visitor_salts',
    'identities',
    'sessions',
    'events',
  ]) {
    await sql`DROP TABLE ${sql.id(table)}`.execute(db);
  }
  await sql`ALTER TABLE sites ADD COLUMN domain text`.execute(db);
  await sql`UPDATE sites SET domain = domains[1]`.execute(db);
  await sql`ALTER TABLE sites DROP COLUMN domains, DROP COLUMN timezone, DROP COLUMN excluded_ips, DROP COLUMN excluded_countries`.execute(db);
}
