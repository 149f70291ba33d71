import { pino, type Logger } from 'pino';

// Browser traffic as tracker.js sends it, and a logger whose lines a test can
// search: the pieces of the end-to-end analytics test.

/** User agents of the test's visitors, as real browsers send them. */
export const userAgents = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
} as const;

/** A POST /api/track body (tracker.js's fields; `site` is added by track()). */
export interface TrackEvent {
  name?: string;
  url: string;
  referrer?: string;
  screen?: { w: number; h: number };
  props?: Record<string, string | number | boolean>;
  /** Browser time, ms since the epoch; left out, the server's time is taken. */
  ts?: number;
  engagement?: { ms: number; scroll: number };
}

export interface TrackClient {
  /** Client address, sent as X-Forwarded-For (the server trusts 127.0.0.1 as a proxy). */
  ip: string;
  userAgent: string;
  /** Default https://example.com; null sends no Origin header. */
  origin?: string | null;
  /** More request headers (DNT, Sec-GPC, Sec-Purpose …). */
  headers?: Record<string, string>;
}

export interface TrackAnswer {
  status: number;
  /** X-JustAnalytics-Dropped, or null when the event was kept. */
  dropped: string | null;
  body: string;
}

/** One event through `{baseUrl}/api/track`, as navigator.sendBeacon sends it (a text/plain JSON string). */
export async function track(baseUrl: string, site: string, event: TrackEvent, client: TrackClient): Promise<TrackAnswer> {
  return postTrack(baseUrl, JSON.stringify({ site, ...event }), client);
}

/** A raw body through `{baseUrl}/api/track` (for malformed ones). */
export async function postTrack(baseUrl: string, body: string, client: TrackClient): Promise<TrackAnswer> {
  const origin = client.origin === undefined ? 'https://example.com' : client.origin;
  const response = await fetch(`${baseUrl}/api/track`, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain;charset=UTF-8',
      'user-agent': client.userAgent,
      'x-forwarded-for': client.ip,
      ...(origin === null ? {} : { origin }),
      ...client.headers,
    },
    body,
  });
  return { status: response.status, dropped: response.headers.get('x-justanalytics-dropped'), body: await response.text() };
}

/** A logger at debug whose JSON lines are kept in memory, so a test can search what the server logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** Resolves once `condition` holds; polls every 25 ms and throws after `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
