import type { BlockList } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyResolver } from '../auth/key-resolver.ts';
import { enrichBrowserEvent } from '../enrich/enrich-event.ts';
import type { RequestFacts } from '../enrich/enrich-event.ts';
import { ipRuleList } from '../enrich/ip-rules.ts';
import { originAllowed } from '../enrich/origin-check.ts';
import { InvalidPageUrlError } from '../enrich/page-url.ts';
import type { DropCounter, DropReason, GeoLookup, SaltSource, SiteDirectory, SiteSettings } from '../enrich/site-settings.ts';
import { analyticsLimitsOf } from '../signals/events/analytics-limits.ts';
import type { AnalyticsLimits } from '../signals/events/analytics-limits.ts';
import { maxTrackElements, TRACK_WIRE_SCHEMA } from '../signals/events/analytics-wire-schema.ts';
import { parseJsonBody, scanAnalyticsBody } from '../signals/events/scan-body.ts';
import { parseTrackBody } from '../signals/events/track-body.ts';
import type { Sink } from '../sink/sink.ts';
import { ingestEvents, ingestIdentify } from './analytics-ingest.ts';
import { forwardedClient } from './forwarded-client.ts';
import type { AnalyticsIngestContext, IngestOutcome } from './analytics-ingest.ts';
import { classifyError, httpStatusOf, ReceiverError, retryAfterHeaderOf } from './errors.ts';
import type { ErrorKind } from './errors.ts';
import type { ExportCall } from './export.ts';
import { InFlight } from './in-flight.ts';
import { logFailure } from './log-failure.ts';
import { MemoryReservation, memoryBudgetOf } from './memory-budget.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { parseContentEncoding, readBody } from './read-body.ts';
import { closeConnectionsWhenClosing, keepBodiesRaw } from './receiver-hooks.ts';
import type { ContentEncoding } from './read-body.ts';
import { mediaType } from './media-type.ts';

export interface AnalyticsHttpOptions {
  sink: Sink;
  /** Keys of the server SDK routes (`ja_sk_…` with `ingest`); their failed authentications are limited as on OTLP. */
  keys: KeyResolver;
  /** The sites browser events may name, with their domains and exclusions. */
  sites: SiteDirectory;
  /** The day's salts of the visitor hash. */
  salts: SaltSource;
  /** Country (region, city) of the client's address; null stores none. */
  geo: GeoLookup | null;
  /** Counts events dropped by the privacy pipeline. */
  drops: DropCounter;
  /** Tracks requests for graceful shutdown; share the receivers' one. Default: a new one. */
  inFlight?: InFlight;
  /** The memory budget of requests in flight; share the receivers' one. Default: a new one of maxInFlightBytes. */
  memoryBudget?: MemoryBudget;
  /** The budget's size when none is given. Default 256 MiB. */
  maxInFlightBytes?: number;
  /** What a request may carry (signals/events/analytics-limits.ts); limits left out keep their defaults. */
  limits?: Partial<AnalyticsLimits>;
  /**
   * The server's trusted proxies (addresses or CIDRs), as given to its
   * trustProxy: X-Forwarded-For is read by Fastify through trustProxy, and a
   * `Forwarded` header (RFC 7239) from these proxies by this plugin. Default: none.
   */
  trustedProxies?: readonly string[];
}

/** Tells the page's script that its event was decided dropped, and why (it must not retry). */
export const DROPPED_HEADER = 'x-justanalytics-dropped';

export const TRACK_PATH = '/api/track';
export const INGEST_EVENTS_PATH = '/api/ingest/events';
export const INGEST_IDENTIFY_PATH = '/api/ingest/identify';

/** How long a browser may cache the answer to a preflight. */
const PREFLIGHT_MAX_AGE_SECONDS = 86_400;

/** The JSON API's codes (as the query API's), by how errors.ts classified the failure. */
const CODES: Readonly<Record<ErrorKind, string>> = {
  malformed: 'INVALID_ARGUMENT',
  unauthenticated: 'UNAUTHENTICATED',
  permission_denied: 'PERMISSION_DENIED',
  too_large: 'PAYLOAD_TOO_LARGE',
  unsupported_media_type: 'UNSUPPORTED_MEDIA_TYPE',
  method_not_allowed: 'METHOD_NOT_ALLOWED',
  overloaded: 'RESOURCE_EXHAUSTED',
  unavailable: 'UNAVAILABLE',
  internal: 'INTERNAL',
};

/**
 * A browser event refused for what it names rather than how it is sent: a
 * site that does not exist (404) or a page of another origin (403,
 * `FORBIDDEN_ORIGIN`). Permanent, never retried.
 */
class TrackRefusal extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'TrackRefusal';
    this.status = status;
    this.code = code;
  }
}

/**
 * The analytics routes, with errors as `{ "error": { "code", "message" } }`:
 *
 * - `POST /api/track` from browsers (JSON, or `text/plain` as sendBeacon
 *   sends it; no compression): the site's origin checked, the event enriched
 *   (enrich/enrich-event.ts) and written, 202 with an empty body once
 *   committed or decided dropped (then `X-JustAnalytics-Dropped: <reason>`).
 *   CORS: preflights are answered for any origin; a POST's
 *   Access-Control-Allow-Origin is sent only to an origin the site allows.
 * - `POST /api/ingest/events` and `POST /api/ingest/identify` from server SDKs
 *   (a `ja_sk_` key with `ingest`, checked before the body is read; JSON,
 *   gzip, deflate or zstd): 200 `{ accepted, rejected, errors?, message? }`
 *   once committed.
 *
 * Register it in a context of its own: it takes over body parsing and the
 * error handler of the context it is in (both encapsulated by Fastify). The
 * client address is request.ip (set the server's trustProxy to the trusted
 * proxies, and pass them as trustedProxies too for `Forwarded`). Nothing here
 * logs an address, a key or a body.
 */
export const analyticsHttpPlugin: FastifyPluginAsync<AnalyticsHttpOptions> = async (app, options) => {
  const settings = validateOptions(options);
  const ingest: AnalyticsIngestContext = {
    sink: settings.sink,
    keys: settings.keys,
    inFlight: settings.inFlight,
    memoryBudget: settings.memoryBudget,
    limits: settings.limits,
  };

  closeConnectionsWhenClosing(app);
  keepBodiesRaw(app);

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof TrackRefusal) {
      request.log.debug({ code: error.code }, error.message);
      sendError(reply, error.status, error.code, error.message, null);
      return;
    }
    const classified = classifyError(error);
    if (classified !== error) {
      // Not from the routes below, which log their own failures (Fastify's own errors, say).
      if (classified.kind === 'internal') request.log.error({ err: error }, 'request failed');
      else request.log.debug({ kind: classified.kind }, classified.message);
    }
    sendError(reply, httpStatusOf(classified), CODES[classified.kind], classified.message, retryAfterHeaderOf(classified));
  });

  app.options(TRACK_PATH, async (request, reply) => {
    // Any origin may ask: the site, and so its domains, is in the body the preflight does not carry.
    const origin = singleHeader(request.headers.origin);
    reply.header('vary', 'Origin');
    if (origin !== undefined) reply.header('access-control-allow-origin', origin);
    return reply
      .code(204)
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', 'Content-Type')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
      .send();
  });

  app.post(TRACK_PATH, async (request, reply) => {
    reply.header('vary', 'Origin');
    const dropped = await settings.inFlight.run(() => track(request, reply));
    if (dropped !== null) reply.header(DROPPED_HEADER, dropped);
    return reply.code(202).send();
  });

  async function track(request: FastifyRequest, reply: FastifyReply): Promise<DropReason | null> {
    const reservation = new MemoryReservation(settings.memoryBudget);
    try {
      trackMediaType(request);
      const encoding = parseContentEncoding(singleHeader(request.headers['content-encoding']));
      if (encoding !== 'identity') throw new ReceiverError('malformed', `Content-Encoding ${encoding} is not accepted on ${TRACK_PATH}: send it uncompressed`);
      const body = await readRequestBody(request, 'identity', settings.limits.maxTrackBodyBytes, reservation);
      reservation.reserve(scanAnalyticsBody(body, 'json', TRACK_WIRE_SCHEMA, maxTrackElements(settings.limits)));
      const { site: siteId, event } = parseTrackBody(parseJsonBody(body), settings.limits);

      const site = await lookupSite(siteId);
      const origin = singleHeader(request.headers.origin);
      // The URL was checked to parse (track-body.ts).
      if (!originAllowed(origin, new URL(event.url).hostname, site.domains)) {
        throw new TrackRefusal(403, 'FORBIDDEN_ORIGIN', `this site does not accept events from ${origin === undefined ? "the page's host" : 'this origin'}`);
      }
      // From here on the page may read the answer (an overload's Retry-After, say).
      if (origin !== undefined) reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', 'Retry-After, X-JustAnalytics-Dropped');

      const nowMs = Date.now();
      const salts = await settings.salts.salts(nowMs).catch((error: unknown) => {
        throw new ReceiverError('unavailable', 'visitor salts cannot be loaded right now, retry later', { cause: error });
      });
      const facts: RequestFacts = {
        clientIp: clientAddressOf(request, settings.trustedProxies),
        userAgent: singleHeader(request.headers['user-agent']) ?? '',
        header: (name) => singleHeader(request.headers[name.toLowerCase()]),
        nowMs,
      };
      const enriched = enrichOrRefuse(() => enrichBrowserEvent(event, facts, site, { salts, geo: settings.geo }));
      if ('drop' in enriched) {
        settings.drops.count(site.siteId, enriched.drop, nowMs);
        request.log.debug({ reason: enriched.drop }, 'event dropped');
        return enriched.drop;
      }
      await settings.sink.write({ signal: 'events', siteId: site.siteId, rows: [enriched.row] });
      return null;
    } catch (error) {
      if (error instanceof TrackRefusal) throw error;
      const classified = classifyError(error);
      logFailure(request.log, error, classified, { signal: 'events' });
      throw classified;
    } finally {
      reservation.release();
    }
  }

  async function lookupSite(siteId: string): Promise<SiteSettings> {
    let site: SiteSettings | null;
    try {
      site = await settings.sites.lookup(siteId);
    } catch (error) {
      throw new ReceiverError('unavailable', 'site settings cannot be loaded right now, retry later', { cause: error });
    }
    if (site === null) throw new TrackRefusal(404, 'NOT_FOUND', `no site with ID ${siteId}`);
    return site;
  }

  const ingestRoute = (path: string, handle: (context: AnalyticsIngestContext, call: ExportCall) => Promise<IngestOutcome>): void => {
    app.post(path, async (request, reply) => {
      ingestMediaType(request, path);
      const encoding = parseContentEncoding(singleHeader(request.headers['content-encoding']));
      const outcome = await handle(ingest, {
        authorization: singleHeader(request.headers.authorization),
        clientAddress: clientAddressOf(request, settings.trustedProxies),
        encoding: 'json',
        log: request.log,
        readBody: (reserve) => readBodyOf(request, encoding, settings.limits.maxIngestBodyBytes, reserve),
      });
      return reply.code(200).send(responseBody(outcome));
    });
  };
  ingestRoute(INGEST_EVENTS_PATH, ingestEvents);
  ingestRoute(INGEST_IDENTIFY_PATH, ingestIdentify);

  for (const path of [TRACK_PATH, INGEST_EVENTS_PATH, INGEST_IDENTIFY_PATH]) {
    const notAllowed = async (): Promise<never> => {
      throw new ReceiverError('method_not_allowed', `method not allowed on ${path}: use POST`);
    };
    const methods = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', ...(path === TRACK_PATH ? [] : ['OPTIONS'])];
    // Refused in onRequest, before any body is read.
    app.route({ method: methods, url: path, exposeHeadRoute: false, onRequest: notAllowed, handler: notAllowed });
  }
};

function responseBody(outcome: IngestOutcome): Record<string, unknown> {
  const body: Record<string, unknown> = { accepted: outcome.accepted, rejected: outcome.rejected };
  if (outcome.errors.length > 0) body.errors = outcome.errors;
  if (outcome.message !== '') body.message = outcome.message;
  return body;
}

function enrichOrRefuse<T>(enrich: () => T): T {
  try {
    return enrich();
  } catch (error) {
    if (error instanceof InvalidPageUrlError) throw new ReceiverError('malformed', error.message, { cause: error });
    throw error;
  }
}

async function readRequestBody(request: FastifyRequest, encoding: ContentEncoding, maxBytes: number, reservation: MemoryReservation): Promise<Buffer> {
  const body = await readBodyOf(request, encoding, maxBytes, reservation.reserve);
  reservation.reserveTotal(body.length);
  return body;
}

function readBodyOf(request: FastifyRequest, encoding: ContentEncoding, maxBytes: number, reserve: (bytes: number) => void): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(new ReceiverError('too_large', `request body exceeds the limit of ${maxBytes} bytes`));
  // No body at all (no Content-Length, no Transfer-Encoding) skips the parser.
  const stream = request.body instanceof Readable ? request.body : Readable.from([]);
  return readBody(stream, encoding, maxBytes, reserve);
}

/** JSON, or text/plain (what navigator.sendBeacon sends a string as); none is taken as JSON. */
function trackMediaType(request: FastifyRequest): void {
  const type = mediaType(request);
  if (type !== '' && type !== 'application/json' && type !== 'text/plain') {
    throw new ReceiverError('unsupported_media_type', `unsupported Content-Type on ${TRACK_PATH}: use application/json or text/plain`);
  }
}

function ingestMediaType(request: FastifyRequest, path: string): void {
  if (mediaType(request) !== 'application/json') throw new ReceiverError('unsupported_media_type', `unsupported Content-Type on ${path}: use application/json`);
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, retryAfter: string | null): void {
  reply.code(status).header('content-type', 'application/json; charset=utf-8');
  if (retryAfter !== null) reply.header('retry-after', retryAfter);
  if (status === 405) reply.header('allow', 'POST');
  // A request refused before its body was read leaves the connection mid-request: close it rather than keep it alive.
  if (!reply.request.raw.complete) reply.header('connection', 'close');
  reply.send(JSON.stringify({ error: { code, message } }));
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

interface Settings {
  sink: Sink;
  keys: KeyResolver;
  sites: SiteDirectory;
  salts: SaltSource;
  geo: GeoLookup | null;
  drops: DropCounter;
  inFlight: InFlight;
  memoryBudget: MemoryBudget;
  limits: Readonly<AnalyticsLimits>;
  trustedProxies: BlockList | null;
}

function validateOptions(options: AnalyticsHttpOptions): Settings {
  const owner = 'analytics-http';
  if (typeof options.sink?.write !== 'function') throw new TypeError(`${owner}: options.sink must be a Sink`);
  if (typeof options.keys?.resolve !== 'function') throw new TypeError(`${owner}: options.keys must be a KeyResolver`);
  if (typeof options.sites?.lookup !== 'function') throw new TypeError(`${owner}: options.sites must be a SiteDirectory`);
  if (typeof options.salts?.salts !== 'function') throw new TypeError(`${owner}: options.salts must be a SaltSource`);
  if (options.geo !== null && typeof options.geo?.lookup !== 'function') throw new TypeError(`${owner}: options.geo must be a GeoLookup or null`);
  if (typeof options.drops?.count !== 'function') throw new TypeError(`${owner}: options.drops must be a DropCounter`);
  return {
    sink: options.sink,
    keys: options.keys,
    sites: options.sites,
    salts: options.salts,
    geo: options.geo,
    drops: options.drops,
    inFlight: options.inFlight ?? new InFlight(),
    memoryBudget: memoryBudgetOf(options, owner),
    limits: analyticsLimitsOf(options.limits, owner),
    trustedProxies: options.trustedProxies === undefined || options.trustedProxies.length === 0 ? null : ipRuleList(options.trustedProxies),
  };
}

/**
 * The visitor's address: request.ip (the socket's, or X-Forwarded-For's as
 * the server's trustProxy reads it), or, when a trusted proxy sent RFC 7239
 * `Forwarded` instead, the address it names. Held in memory only.
 */
function clientAddressOf(request: FastifyRequest, trusted: BlockList | null): string {
  const forwarded = singleHeader(request.headers.forwarded);
  if (trusted === null || forwarded === undefined || request.headers['x-forwarded-for'] !== undefined) return request.ip;
  return forwardedClient(request.socket.remoteAddress ?? '', forwarded, trusted) ?? request.ip;
}
