import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import cors from '@fastify/cors';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { KeyResolver } from '../auth/key-resolver.ts';
import { decodeLimitsOf } from '../decode/decode-limits.ts';
import type { DecodeLimits } from '../decode/decode-limits.ts';
import type { OtlpEncoding } from '../decode/otlp-encoding.ts';
import { otlpSignals } from '../signals/index.ts';
import type { Sink } from '../sink/sink.ts';
import { DEFAULT_MAX_REQUEST_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from './defaults.ts';
import { analyticsHttpPlugin } from './analytics-http.ts';
import type { AnalyticsHttpOptions } from './analytics-http.ts';
import { httpHealthRoutes } from './http-health.ts';
import type { Readiness } from './http-health.ts';
import { classifyError, encodeRpcStatus, httpStatusOf, ReceiverError, retryAfterHeaderOf } from './errors.ts';
import { exportSignal } from './export.ts';
import type { ExportContext } from './export.ts';
import { InFlight } from './in-flight.ts';
import { memoryBudgetOf } from './memory-budget.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { parseContentEncoding, readBody } from './read-body.ts';
import { closeConnectionsWhenClosing, keepBodiesRaw } from './receiver-hooks.ts';
import type { SignalDescriptor } from './signal.ts';
import { mediaType } from './media-type.ts';

export interface OtlpHttpOptions {
  sink: Sink;
  keys: KeyResolver;
  /** Tracks exports for graceful shutdown; shared with the gRPC receiver. Default: a new one. */
  inFlight?: InFlight;
  /** Largest request body, counted both as received and after decompression. Default 64 MiB. */
  maxRequestBytes?: number;
  /** Memory budget of the requests in flight (bodies and decoded rows); past it, 429. Default 256 MiB. */
  maxInFlightBytes?: number;
  /** The budget itself, to share one with the gRPC receiver (instead of maxInFlightBytes). Default: a new one. */
  memoryBudget?: MemoryBudget;
  /** Origins allowed to send from browsers; '*' allows any. Default: none (no CORS headers). */
  corsOrigins?: readonly string[];
  /** Signals served. Default: otlpSignals (signals/index.ts). */
  signals?: readonly SignalDescriptor[];
  /** What decoding one request may build (decode/decode-limits.ts); limits left out keep their defaults. Default: DEFAULT_DECODE_LIMITS. */
  decodeLimits?: Partial<DecodeLimits>;
}

const CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** Headers are small: a client that cannot send them in this long is stalling. */
const HEADERS_TIMEOUT_MS = 10_000;

const NOT_POST = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * OTLP/HTTP: POST /v1/traces (and any other signal given) with binary
 * protobuf or OTLP/JSON bodies, gzip, deflate or zstd encoded, answered in
 * the request's encoding. Errors are google.rpc.Status bodies, statuses as
 * errors.ts maps them.
 */
export const otlpHttpPlugin: FastifyPluginAsync<OtlpHttpOptions> = async (app, options) => {
  const settings = validateOptions(options);
  const context: ExportContext = {
    sink: settings.sink,
    keys: settings.keys,
    inFlight: settings.inFlight,
    memoryBudget: settings.memoryBudget,
    decodeLimits: decodeLimitsOf(options.decodeLimits, 'otlp-http'),
  };

  if (settings.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: settings.corsOrigins.includes('*') ? '*' : [...settings.corsOrigins],
      methods: ['POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Content-Encoding'],
      exposedHeaders: ['Retry-After'],
      maxAge: 600,
    });
  }

  closeConnectionsWhenClosing(app);
  // The route checks the type (415 with the supported ones named).
  keepBodiesRaw(app);

  app.setErrorHandler((error, request, reply) => {
    const classified = classifyError(error);
    if (classified !== error) {
      // Not from exportSignal, which logs its own failures.
      if (classified.kind === 'internal') request.log.error({ err: error }, 'request failed');
      else request.log.debug({ kind: classified.kind }, classified.message);
    }
    sendError(reply, classified, responseEncoding(request));
  });

  for (const signal of settings.signals) {
    app.post(signal.httpPath, async (request, reply) => {
      const encoding = requestEncoding(request);
      const contentEncoding = parseContentEncoding(singleHeader(request.headers['content-encoding']));
      const response = await exportSignal(signal, context, {
        authorization: singleHeader(request.headers.authorization),
        clientAddress: request.ip,
        encoding,
        log: request.log,
        readBody: async (reserve) => {
          const declared = Number(request.headers['content-length']);
          if (declared > settings.maxRequestBytes) {
            throw new ReceiverError('too_large', `request body exceeds the limit of ${settings.maxRequestBytes} bytes`);
          }
          return readBody(bodyStream(request), contentEncoding, settings.maxRequestBytes, reserve);
        },
      });
      return reply.code(200).header('content-type', CONTENT_TYPES[encoding]).send(response);
    });

    const notAllowed = async (): Promise<never> => {
      throw new ReceiverError('method_not_allowed', `method not allowed on ${signal.httpPath}: use POST`);
    };
    // Refused in onRequest, before any body is parsed or content type checked.
    app.route({ method: NOT_POST, url: signal.httpPath, exposeHeadRoute: false, onRequest: notAllowed, handler: notAllowed });
  }
};

export interface OtlpHttpServerOptions extends OtlpHttpOptions {
  logger: Logger;
  /**
   * Proxies (addresses or CIDRs) whose X-Forwarded-For is believed, so that
   * the client address is the one behind a load balancer. Default: none.
   */
  trustedProxies?: readonly string[];
  /**
   * Longest a request may take to arrive whole, headers and body; a slower
   * one is answered 408 and its connection closed. Default 30 s.
   */
  requestTimeoutMs?: number;
  /** What GET /readyz checks (http-health.ts), e.g. that the storage answers. Default: none, ready while listening. */
  readiness?: Readiness;
  /** How long /readyz waits for `readiness`. Default 2000 ms. */
  readyTimeoutMs?: number;
  /**
   * Also serve the analytics routes (POST /api/track, /api/ingest/*;
   * analytics-http.ts) with these sites, salts, geo lookup, drop counter and
   * limits, sharing the sink, keys, in-flight tracking and memory budget of
   * the OTLP routes. Default: not served.
   */
  analytics?: Omit<AnalyticsHttpOptions, 'sink' | 'keys' | 'inFlight' | 'memoryBudget' | 'maxInFlightBytes'>;
}

/**
 * A Fastify instance of its own for the OTLP/HTTP receiver (port 4318 by
 * convention), with request ids and logs that carry neither addresses,
 * headers (API keys) nor bodies, and the health routes /healthz and /readyz
 * beside the exports (http-health.ts).
 */
export async function createOtlpHttpServer(options: OtlpHttpServerOptions): Promise<FastifyInstance> {
  const { logger, trustedProxies = [], requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, readiness, readyTimeoutMs, analytics, ...otlpOptions } = options;
  // One in-flight count and one budget for the OTLP and the analytics routes.
  const inFlight = otlpOptions.inFlight ?? new InFlight();
  const memoryBudget = memoryBudgetOf(otlpOptions, 'otlp-http');
  const pluginOptions: OtlpHttpOptions = { ...otlpOptions, inFlight, memoryBudget, maxInFlightBytes: undefined };
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs <= 0) {
    throw new TypeError(`otlp-http: options.requestTimeoutMs must be a positive integer, got ${String(requestTimeoutMs)}`);
  }
  const app = Fastify({
    loggerInstance: logger.child({ receiver: 'otlp-http' }, { serializers: { req: requestForLog, res: replyForLog } }),
    genReqId: () => randomUUID(),
    // A slow upload must not hold its memory, nor a socket that never sends its headers hold a connection.
    requestTimeout: requestTimeoutMs,
    http: {
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
      // Node checks both timeouts this often; its 30 s default would let them overrun by that much.
      connectionsCheckingInterval: Math.min(1000, requestTimeoutMs),
    },
    // X-Forwarded-For only from the proxies named. The address limits failed
    // authentications per client; it is never logged.
    trustProxy: trustedProxies.length === 0 ? false : [...trustedProxies],
    // Exporters send many requests a second: one debug line each (below), not two info lines.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ req: request, res: reply, ms: Math.round(reply.elapsedTime) }, 'request completed');
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Beside the OTLP plugin, not in it: neither its error handler nor its body handling applies.
  await app.register(httpHealthRoutes, { readiness, readyTimeoutMs, closing: () => closing });
  await app.register(otlpHttpPlugin, pluginOptions);
  // A sibling context: its own body handling and error format ({ error: { code, message } }, not google.rpc.Status).
  if (analytics !== undefined) await app.register(analyticsHttpPlugin, { ...analytics, sink: otlpOptions.sink, keys: otlpOptions.keys, inFlight, memoryBudget, trustedProxies });
  await app.ready();
  return app;
}

function requestForLog(request: FastifyRequest): { method: string; url: string } {
  return { method: request.method, url: request.url };
}

function replyForLog(reply: FastifyReply): { statusCode: number } {
  return { statusCode: reply.statusCode };
}

function sendError(reply: FastifyReply, error: ReceiverError, encoding: OtlpEncoding): void {
  reply.code(httpStatusOf(error)).header('content-type', CONTENT_TYPES[encoding]);
  const retryAfter = retryAfterHeaderOf(error);
  if (retryAfter !== null) reply.header('retry-after', retryAfter);
  if (error.kind === 'method_not_allowed') reply.header('allow', 'POST');
  // A request refused before its body was read (a bad key, an oversized body)
  // leaves the connection mid-request: it could neither serve the next request
  // nor count as idle at shutdown, so it is closed rather than kept alive.
  if (!reply.request.raw.complete) reply.header('connection', 'close');
  reply.send(encodeRpcStatus(error, encoding));
}

function requestEncoding(request: FastifyRequest): OtlpEncoding {
  const type = mediaType(request);
  if (type === CONTENT_TYPES.protobuf) return 'protobuf';
  if (type === CONTENT_TYPES.json) return 'json';
  throw new ReceiverError('unsupported_media_type', `unsupported Content-Type: use ${CONTENT_TYPES.protobuf} or ${CONTENT_TYPES.json}`);
}

/** Errors are answered in the request's encoding, JSON when it has none we know. */
function responseEncoding(request: FastifyRequest): OtlpEncoding {
  return mediaType(request) === CONTENT_TYPES.protobuf ? 'protobuf' : 'json';
}

function bodyStream(request: FastifyRequest): Readable {
  // No body at all (no Content-Length, no Transfer-Encoding) skips the parser.
  return request.body instanceof Readable ? request.body : Readable.from([]);
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

interface Settings {
  sink: Sink;
  keys: KeyResolver;
  inFlight: InFlight;
  maxRequestBytes: number;
  memoryBudget: MemoryBudget;
  corsOrigins: readonly string[];
  signals: readonly SignalDescriptor[];
}

function validateOptions(options: OtlpHttpOptions): Settings {
  if (typeof options.sink?.write !== 'function') throw new TypeError('otlp-http: options.sink must be a Sink');
  if (typeof options.keys?.resolve !== 'function') throw new TypeError('otlp-http: options.keys must be a KeyResolver');
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  if (!Number.isSafeInteger(maxRequestBytes) || maxRequestBytes <= 0) {
    throw new TypeError(`otlp-http: options.maxRequestBytes must be a positive integer, got ${String(options.maxRequestBytes)}`);
  }
  const memoryBudget = memoryBudgetOf(options, 'otlp-http');
  const corsOrigins = options.corsOrigins ?? [];
  if (!Array.isArray(corsOrigins)) throw new TypeError('otlp-http: options.corsOrigins must be an array of origins');
  for (const origin of corsOrigins) {
    if (origin !== '*' && !isOrigin(origin)) {
      throw new TypeError(`otlp-http: "${String(origin)}" in options.corsOrigins is not an origin (scheme://host[:port]) or '*'`);
    }
  }
  const signals = options.signals ?? otlpSignals;
  if (signals.length === 0) throw new TypeError('otlp-http: options.signals must not be empty');
  return { sink: options.sink, keys: options.keys, inFlight: options.inFlight ?? new InFlight(), maxRequestBytes, memoryBudget, corsOrigins, signals };
}

function isOrigin(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}
