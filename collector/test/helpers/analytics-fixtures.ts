// Test doubles of the analytics receivers (not a test file itself): sites,
// salts, a geo table and a drop counter held in memory, and an OTLP/HTTP
// server with the analytics routes on it.
import type { FastifyInstance } from 'fastify';
import type { DropCounter, DropReason, GeoLocation, GeoLookup, Salts, SaltSource, SiteDirectory, SiteSettings } from '../../src/enrich/site-settings.ts';
import { createOtlpHttpServer } from '../../src/receivers/otlp-http.ts';
import type { OtlpHttpServerOptions } from '../../src/receivers/otlp-http.ts';
import type { AnalyticsLimits } from '../../src/signals/events/analytics-limits.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { keys, silentLogger } from './fixtures.ts';

/** The public ID of the test site; its domain is example.com. */
export const TRACK_SITE = '42';
export const OPEN_SITE = '43';
export const EXCLUDING_SITE = '44';

export const sitesById: ReadonlyMap<string, SiteSettings> = new Map([
  [TRACK_SITE, site(TRACK_SITE, ['example.com'])],
  [OPEN_SITE, site(OPEN_SITE, [])],
  [EXCLUDING_SITE, { ...site(EXCLUDING_SITE, ['example.org']), excludedIps: ['203.0.113.0/24'], excludedCountries: ['FR'] }],
]);

function site(siteId: string, domains: string[]): SiteSettings {
  return { siteId, domains, timezone: 'UTC', excludedIps: [], excludedCountries: [] };
}

export class MemorySiteDirectory implements SiteDirectory {
  failing = false;
  async lookup(siteId: string): Promise<SiteSettings | null> {
    if (this.failing) throw new Error('sites cannot be loaded');
    return sitesById.get(siteId) ?? null;
  }
}

export class FixedSalts implements SaltSource {
  readonly value: Salts = { current: Buffer.alloc(32, 1), previous: Buffer.alloc(32, 2) };
  async salts(_nowMs: number): Promise<Salts> {
    return this.value;
  }
}

/** Addresses by country: 198.51.100.7 is French, 192.0.2.1 German. */
export const geo: GeoLookup = {
  lookup(ip: string): GeoLocation | null {
    if (ip === '198.51.100.7') return { country: 'FR', region: '', city: '' };
    if (ip === '192.0.2.1') return { country: 'DE', region: 'DE-BE', city: 'Berlin' };
    return null;
  },
};

export class RecordingDrops implements DropCounter {
  readonly counted: [string, DropReason][] = [];
  count(siteId: string, reason: DropReason): void {
    this.counted.push([siteId, reason]);
  }
}

export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export interface AnalyticsApp {
  app: FastifyInstance;
  sink: MemorySink;
  sites: MemorySiteDirectory;
  drops: RecordingDrops;
}

/** The OTLP/HTTP server with the analytics routes (not listening), for app.inject(). */
export async function buildAnalyticsApp(
  options: { sink?: Sink; limits?: Partial<AnalyticsLimits> } & Partial<Omit<OtlpHttpServerOptions, 'analytics' | 'sink'>> = {},
): Promise<AnalyticsApp> {
  const { sink: given, limits, ...rest } = options;
  const sink = new MemorySink();
  const sites = new MemorySiteDirectory();
  const drops = new RecordingDrops();
  const app = await createOtlpHttpServer({
    keys,
    logger: silentLogger,
    ...rest,
    sink: given ?? sink,
    analytics: { sites, salts: new FixedSalts(), geo, drops, limits },
  });
  return { app, sink, sites, drops };
}
