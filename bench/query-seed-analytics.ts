// Seeds analytics traffic for the query benchmark straight in SQL: visits
// (sessions) and their events over the last `days` days, with the skew of real
// sites (a few pages, sources and countries take most of the traffic, a long
// tail the rest), then marks every quarter hour for the rollup job and runs it,
// as ingest and the job would have. Values come from hashes of the visit's
// number, so a run is the same every time.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../backend/src/db/database.ts';
import { ensurePartitions } from '../backend/src/db/partitions.ts';
import { rollupAnalyticsNow } from '../backend/src/jobs/analytics-rollups.ts';

const dayMs = 86_400_000;
/** Events per visit on average: 1–5 pageviews, a signup in one visit of ten, an engagement event in half. */
const eventsPerVisit = 3.6;

// Skewed lists: the first entries are the common ones (chosen through a cube of a uniform hash).
const sources = ['', 'Google', 'Google', 'Bing', 'DuckDuckGo', 'Twitter', 'Facebook', 'Hacker News', 'Reddit', 'LinkedIn', 'newsletter', 'GitHub'];
const channels: Record<string, string> = {
  '': 'Direct',
  Google: 'Organic Search',
  Bing: 'Organic Search',
  DuckDuckGo: 'Organic Search',
  Twitter: 'Organic Social',
  Facebook: 'Organic Social',
  'Hacker News': 'Referral',
  Reddit: 'Organic Social',
  LinkedIn: 'Organic Social',
  newsletter: 'Email',
  GitHub: 'Referral',
};
const countries = ['US', 'DE', 'GB', 'IN', 'FR', 'CA', 'BR', 'NL', 'JP', 'AU', 'ES', 'IT', 'PL', 'SE', 'CN', 'KR', 'MX', 'CH', 'AT', 'BE'];
const browsers = [
  ['Chrome', '131.0', 'Windows', '10', 'desktop'],
  ['Safari', '18.1', 'iOS', '18.1', 'mobile'],
  ['Chrome', '131.0', 'Android', '14', 'mobile'],
  ['Firefox', '133.0', 'GNU/Linux', '', 'desktop'],
  ['Edge', '131.0', 'Windows', '11', 'desktop'],
  ['Safari', '18.1', 'macOS', '15.1', 'desktop'],
  ['Samsung Internet', '27.0', 'Android', '14', 'mobile'],
  ['Safari', '18.1', 'iPadOS', '18.1', 'tablet'],
] as const;
const fixedPages = ['/', '/pricing', '/docs', '/blog', '/signup', '/about', '/docs/install', '/login'];

/** What a visit's number decides, as SQL select items over `n`. */
function facts(n: ReturnType<typeof sql>) {
  return sql`abs(hashint8(${n} * 31 + 1)::bigint) AS h1, abs(hashint8(${n} * 31 + 2)::bigint) AS h2,
             abs(hashint8(${n} * 31 + 3)::bigint) AS h3, abs(hashint8(${n} * 31 + 4)::bigint) AS h4,
             1 + abs(hashint8(${n} * 31 + 5)) % 5 AS pageviews,
             abs(hashint8(${n} * 31 + 6)) % 10 = 0 AS signup,
             abs(hashint8(${n} * 31 + 7)) % 2 = 0 AS engagement,
             3000 + abs(hashint8(${n} * 31 + 8)) % 30000 AS engagement_ms`;
}

/** `n` events (about) of site `siteId` over the `days` days ending now. */
export async function seedAnalytics(db: Kysely<Database>, siteId: string, total: number, days: number, log: (line: string) => void): Promise<void> {
  const endMs = Date.now();
  const firstMs = endMs - days * dayMs;
  await ensurePartitions(db, 'events', new Date(firstMs), new Date(endMs));
  await ensurePartitions(db, 'sessions', new Date(firstMs), new Date(endMs));
  const visitsPerDay = Math.max(1, Math.round(total / eventsPerVisit / days));
  const pick = (list: readonly string[], hash: ReturnType<typeof sql>) =>
    sql`(${sql.val(list)}::text[])[1 + floor(power((${hash} & 1048575) / 1048576.0, 3) * ${list.length})::int]`;
  const browserRows = browsers.map((row) => row.join('|'));
  await sql`SET synchronous_commit = off`.execute(db);
  for (let day = 0; day < days; day++) {
    const dayStart = firstMs + day * dayMs;
    const base = day * visitsPerDay;
    await db.transaction().execute(async (trx) => {
      // Visits: each from a visitor of the day (about 1.6 visits a visitor), started through the day. A visit's
      // number is its session ID; the hashes of it decide the rest, so the events below can recompute them.
      await sql`
        WITH v AS (
          SELECT n, ${facts(sql`n`)}
          FROM generate_series(${base}::bigint, ${base + visitsPerDay - 1}::bigint) n
        ), b AS (
          SELECT v.*, string_to_array((${sql.val(browserRows)}::text[])[1 + (h3 % ${browsers.length})], '|') AS browser,
                 ${pick(sources, sql`v.h1`)} AS source, ${pick(countries, sql`v.h2`)} AS country,
                 to_timestamp((${dayStart}::float8 + (n - ${base}::bigint) * ${dayMs / visitsPerDay}::float8) / 1000.0) AS started
          FROM v
        )
        INSERT INTO sessions (site_id, started_at, session_id, visitor_id, user_id, anonymous_id, last_seen_at, hostname,
          entry_page, exit_page, pageviews, events, engaged, referrer, referrer_source, channel, utm_source, utm_medium,
          utm_campaign, utm_term, utm_content, click_id, country, region, city, browser, browser_version, os, os_version,
          device, screen_width, screen_height, origin)
        SELECT ${siteId}::bigint, started, n, hashint8((${day}::bigint << 32) + n / 16 * 10 + (h4 % 10)), NULL, NULL,
          started + (pageviews - 1 + signup::int + engagement::int) * interval '40 seconds', 'example.com',
          (${sql.val(fixedPages)}::text[])[1 + (h1 >> 20) % 3],
          CASE WHEN pageviews = 1 THEN (${sql.val(fixedPages)}::text[])[1 + (h1 >> 20) % 3]
               ELSE (${sql.val(fixedPages)}::text[])[1 + (h2 >> 20) % ${fixedPages.length}] END,
          pageviews, pageviews + signup::int, signup OR (engagement AND engagement_ms >= 10000),
          CASE WHEN source = '' OR source = 'newsletter' THEN '' ELSE 'https://' || lower(replace(source, ' ', '')) || '.com/' END,
          source, ${JSON.stringify(channels)}::jsonb ->> source,
          CASE WHEN source = 'newsletter' THEN 'newsletter' ELSE '' END, CASE WHEN source = 'newsletter' THEN 'email' ELSE '' END,
          CASE WHEN source = 'newsletter' THEN 'launch' ELSE '' END, '', '', '',
          country, '', '', browser[1], browser[2], browser[3], browser[4], browser[5],
          CASE WHEN browser[5] = 'desktop' THEN 1920 ELSE 390 END, CASE WHEN browser[5] = 'desktop' THEN 1080 ELSE 844 END, 'browser'
        FROM b`.execute(trx);
      // Their events, 40 s apart: the pageviews (entry page first, exit page last, between them the fixed pages or
      // a tail of 500 docs pages), then the signup, then the engagement event as the page is left.
      await sql`
        INSERT INTO events (site_id, time, time_ns, event_id, name, session_id, visitor_id, user_id, anonymous_id, hostname,
          pathname, query, title, engagement_ms, scroll_depth, props, origin)
        SELECT s.site_id, t, (extract(epoch FROM t) * 1000000)::bigint * 1000, int8send(s.session_id) || int8send(k), e.name,
          s.session_id, s.visitor_id, NULL, NULL, s.hostname, e.pathname, '', e.pathname,
          CASE WHEN e.name = 'engagement' THEN f.engagement_ms END, CASE WHEN e.name = 'engagement' THEN (f.h3 % 101)::smallint END,
          CASE WHEN e.name = 'signup' THEN jsonb_build_object('plan', CASE WHEN s.session_id % 3 = 0 THEN 'pro' ELSE 'free' END) ELSE '{}'::jsonb END,
          'browser'
        FROM sessions s
        CROSS JOIN LATERAL (SELECT ${facts(sql`s.session_id`)}) f
        CROSS JOIN LATERAL generate_series(1, s.events::int + f.engagement::int) k
        CROSS JOIN LATERAL (SELECT s.started_at + (k - 1) * interval '40 seconds' AS t) tt
        CROSS JOIN LATERAL (
          SELECT CASE WHEN k <= s.pageviews THEN 'pageview' WHEN k = s.pageviews + 1 AND f.signup THEN 'signup' ELSE 'engagement' END AS name,
                 CASE WHEN k = 1 THEN s.entry_page
                      WHEN k < s.pageviews THEN
                        CASE WHEN abs(hashint8(s.session_id * 7 + k)) % 3 = 0
                             THEN '/docs/page-' || floor(power((abs(hashint8(s.session_id * 11 + k)) & 1048575) / 1048576.0, 3) * 500)::int
                             ELSE (${sql.val(fixedPages)}::text[])[1 + abs(hashint8(s.session_id * 13 + k)) % ${fixedPages.length}] END
                      ELSE s.exit_page END AS pathname
        ) e
        WHERE s.site_id = ${siteId}::bigint AND s.started_at >= to_timestamp(${dayStart}::float8 / 1000.0)
          AND s.started_at < to_timestamp(${dayStart + dayMs}::float8 / 1000.0)`.execute(trx);
      await sql`
        INSERT INTO analytics_dirty_buckets (site_id, bucket, marked_at)
        SELECT DISTINCT ${siteId}::bigint, date_bin('15 minutes', time, timestamptz 'epoch'), now() - interval '1 minute'
        FROM events WHERE site_id = ${siteId}::bigint AND time >= to_timestamp(${dayStart}::float8 / 1000.0) AND time < to_timestamp(${dayStart + dayMs}::float8 / 1000.0)
        ON CONFLICT (site_id, bucket) DO NOTHING`.execute(trx);
    });
    log(`  day ${day + 1}/${days}: ${visitsPerDay} visits`);
  }
  const started = performance.now();
  const result = await rollupAnalyticsNow(db, siteId);
  log(`  rollups of ${JSON.stringify(result)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
