// Events, sessions, identities and drop counts written with plain SQL for the
// tests of the analytics views (realtime, goals, funnels, journeys, sites),
// and an API server with keys of every scope (not a test file itself). Plain
// SQL, so these tests do not depend on the store's event writer.
import { randomBytes } from 'node:crypto';
import type { PropValue } from '@justanalytics/collector';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Test } from 'tap';
import { buildApiServer } from '../../src/api/server.ts';
import type { Database } from '../../src/db/database.ts';
import { dayOfMs } from '../../src/db/days.ts';
import { ensurePartitionDays } from '../../src/db/partitions.ts';
import { ApiKeyResolver, createApiKey } from '../../src/store/api-keys.ts';
import { createSite } from '../../src/store/sites.ts';
import { createTestDatabase, testLogger } from './test-database.ts';

export interface ViewEvent {
  time: Date;
  /** Default 'pageview'. */
  name?: string;
  visitorId: bigint;
  sessionId: bigint;
  pathname?: string;
  userId?: string | null;
  anonymousId?: string | null;
  props?: Record<string, PropValue>;
  eventId?: Buffer;
  /** Added to the time's nanoseconds (within its microsecond). */
  extraNs?: bigint;
  engagementMs?: number | null;
  title?: string;
}

export interface ViewSession {
  sessionId: bigint;
  visitorId: bigint;
  startedAt: Date;
  lastSeenAt: Date;
  userId?: string | null;
  anonymousId?: string | null;
  entryPage?: string;
  exitPage?: string;
  pageviews?: number;
  events?: number;
  engaged?: boolean;
  source?: string;
  channel?: string;
  country?: string;
  device?: string;
  browser?: string;
  utmCampaign?: string;
}

export function eventId(): Buffer {
  return randomBytes(16);
}

export async function insertEvents(db: Kysely<Database>, siteId: string, events: readonly ViewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await ensurePartitionDays(db, 'events', [...new Set(events.map((event) => dayOfMs(event.time.getTime())))]);
  const rows = events.map((event) => {
    const timeNs = BigInt(event.time.getTime()) * 1_000_000n + (event.extraNs ?? 0n);
    return sql`(${siteId}::int8, ${event.time}::timestamptz, ${timeNs.toString()}::int8, ${event.eventId ?? eventId()}::bytea, ${event.name ?? 'pageview'},
      ${event.sessionId.toString()}::int8, ${event.visitorId.toString()}::int8, ${event.userId ?? null}, ${event.anonymousId ?? null}, 'shop.example',
      ${event.pathname ?? '/'}, '', ${event.title ?? ''}, ${event.engagementMs ?? null}::int8, NULL, ${JSON.stringify(event.props ?? {})}::jsonb,
      ${event.userId === undefined && event.anonymousId === undefined ? 'browser' : 'server'})`;
  });
  await sql`INSERT INTO events (site_id, time, time_ns, event_id, name, session_id, visitor_id, user_id, anonymous_id, hostname, pathname, query, title,
    engagement_ms, scroll_depth, props, origin) VALUES ${sql.join(rows)}`.execute(db);
}

export async function insertSessions(db: Kysely<Database>, siteId: string, sessions: readonly ViewSession[]): Promise<void> {
  if (sessions.length === 0) return;
  await ensurePartitionDays(db, 'sessions', [...new Set(sessions.map((session) => dayOfMs(session.startedAt.getTime())))]);
  const rows = sessions.map(
    (s) => sql`(${siteId}::int8, ${s.startedAt}::timestamptz, ${s.sessionId.toString()}::int8, ${s.visitorId.toString()}::int8, ${s.userId ?? null},
      ${s.anonymousId ?? null}, ${s.lastSeenAt}::timestamptz, 'shop.example', ${s.entryPage ?? '/'}, ${s.exitPage ?? s.entryPage ?? '/'},
      ${s.pageviews ?? 1}::int8, ${s.events ?? s.pageviews ?? 1}::int8, ${s.engaged ?? false}, ${s.source === undefined || s.source === '' ? '' : `https://${s.source}/`},
      ${s.source ?? ''}, ${s.channel ?? 'Direct'}, '', '', ${s.utmCampaign ?? ''}, '', '', '', ${s.country ?? ''}, '', '', ${s.browser ?? 'Firefox'}, '120.0',
      'Linux', '', ${s.device ?? 'desktop'}, 1920, 1080, ${s.userId === undefined && s.anonymousId === undefined ? 'browser' : 'server'})`,
  );
  await sql`INSERT INTO sessions (site_id, started_at, session_id, visitor_id, user_id, anonymous_id, last_seen_at, hostname, entry_page, exit_page,
    pageviews, events, engaged, referrer, referrer_source, channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id, country,
    region, city, browser, browser_version, os, os_version, device, screen_width, screen_height, origin) VALUES ${sql.join(rows)}`.execute(db);
}

export async function insertIdentity(
  db: Kysely<Database>,
  siteId: string,
  identity: { anonymousId: string; userId: string; traits?: Record<string, PropValue>; firstSeen: Date; lastSeen?: Date },
): Promise<void> {
  await sql`INSERT INTO identities (site_id, anonymous_id, user_id, traits, first_seen_at, last_seen_at)
    VALUES (${siteId}::int8, ${identity.anonymousId}, ${identity.userId}, ${JSON.stringify(identity.traits ?? {})}::jsonb, ${identity.firstSeen},
      ${identity.lastSeen ?? identity.firstSeen})`.execute(db);
}

export async function insertDrops(db: Kysely<Database>, siteId: string, drops: ReadonlyArray<{ day: string; reason: string; count: number }>): Promise<void> {
  await ensurePartitionDays(db, 'analytics_drops', [...new Set(drops.map((drop) => dayOfMs(Date.parse(`${drop.day}T00:00:00Z`))))]);
  for (const drop of drops) {
    await sql`INSERT INTO analytics_drops (site_id, day, reason, count) VALUES (${siteId}::int8, ${`${drop.day}T00:00:00Z`}::timestamptz, ${drop.reason}, ${drop.count})`.execute(db);
  }
}

export interface ViewResponse {
  status: number;
  body: unknown;
}

export interface AnalyticsViewTest {
  /** The ingest pool (writes fixtures). */
  db: Kysely<Database>;
  /** The read-only API pool, as `serve` gives it to the query functions. */
  apiDb: Kysely<Database>;
  siteA: string;
  siteB: string;
  /** siteA keys: read, admin only, ingest only; siteB: read and admin. */
  readA: string;
  adminA: string;
  ingestA: string;
  readB: string;
  adminB: string;
  app: FastifyInstance;
  request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, key?: string, body?: object): Promise<ViewResponse>;
}

/** A fresh database with two sites (siteA in `timezoneA`), keys, and the API server (read-only pool, ingest pool for writes). */
export async function setUpAnalyticsViewTest(t: Test, timezoneA = 'UTC'): Promise<AnalyticsViewTest> {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  const siteA = (await createSite(db, { name: 'a', timezone: timezoneA })).id;
  const siteB = (await createSite(db, { name: 'b' })).id;
  const key = async (siteId: string, scopes: Array<'read' | 'admin' | 'ingest'>) => (await createApiKey(db, { siteId, scopes })).key;
  const readA = await key(siteA, ['read']);
  const adminA = await key(siteA, ['admin']);
  const ingestA = await key(siteA, ['ingest']);
  const readB = await key(siteB, ['read']);
  const adminB = await key(siteB, ['admin', 'read']);
  const app = await buildApiServer({ db: handle.api.db, writeDb: db, readinessDb: db, keys: new ApiKeyResolver(db), logger: testLogger() });
  t.teardown(() => app.close());
  return {
    db,
    apiDb: handle.api.db,
    siteA,
    siteB,
    readA,
    adminA,
    ingestA,
    readB,
    adminB,
    app,
    async request(method, url, key = readA, body) {
      const response = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(body === undefined ? {} : { payload: body }) });
      return { status: response.statusCode, body: response.body === '' ? undefined : response.json() };
    },
  };
}
