import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { KeyResolver } from '../auth/key-resolver.ts';
import { decodeLimitsOf } from '../decode/decode-limits.ts';
import type { DecodeLimits } from '../decode/decode-limits.ts';
import { otlpSignals } from '../signals/index.ts';
import type { DropCounter, GeoLookup, SaltSource, SiteDirectory } from '../enrich/site-settings.ts';
import { analyticsLimitsOf } from '../signals/events/analytics-limits.ts';
import type { AnalyticsLimits } from '../signals/events/analytics-limits.ts';
import type { Sink } from '../sink/sink.ts';
import {
  DEFAULT_GRPC_PORT,
  DEFAULT_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
} from './defaults.ts';
import { InFlight } from './in-flight.ts';
import { MemoryBudget } from './memory-budget.ts';
import { createOtlpGrpcServer } from './otlp-grpc.ts';
import type { Readiness } from './http-health.ts';
import { createOtlpHttpServer } from './otlp-http.ts';
import type { SignalDescriptor } from './signal.ts';

export interface CollectorOptions {
  sink: Sink;
  keys: KeyResolver;
  logger: Logger;
  /**
   * The signals both receivers serve, each with its path, gRPC service,
   * decoder and authentication. Default otlpSignals (signals/index.ts).
   */
  signals?: readonly SignalDescriptor[];
  /** Address both receivers listen on. Default '127.0.0.1'. */
  host?: string;
  /** OTLP/HTTP port; 0 picks a free one. Default 4318. */
  httpPort?: number;
  /** OTLP/gRPC port; 0 picks a free one. Default 4317. */
  grpcPort?: number;
  /** Largest request, as received and after decompression. Default 64 MiB. */
  maxRequestBytes?: number;
  /**
   * Memory budget of the requests in flight on both receivers together: their
   * bodies and decoded rows. Past it, requests are refused as overloaded
   * (HTTP 429, gRPC RESOURCE_EXHAUSTED, retryable). Default 256 MiB.
   */
  maxInFlightBytes?: number;
  /** Browser origins allowed on OTLP/HTTP; '*' allows any. Default: none. */
  corsOrigins?: readonly string[];
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For names the client on OTLP/HTTP. Default: none. */
  trustedProxies?: readonly string[];
  /** Longest a request may take to arrive whole (headers and body), on both receivers. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * Longest shutdown waits for running exports; those still running then are
   * answered as unavailable (retryable). Default 20 s.
   */
  shutdownTimeoutMs?: number;
  /**
   * What decoding one request may build, on both receivers: attributes,
   * events and links kept per item, items and depth of values, elements per
   * request (decode/decode-limits.ts). Limits left out keep their defaults.
   */
  decodeLimits?: Partial<DecodeLimits>;
  /**
   * What GET /readyz on the OTLP/HTTP port checks, e.g. that the sink's
   * database answers; /healthz there needs nothing. Default: none (ready
   * while listening).
   */
  readiness?: Readiness;
  /**
   * The analytics extension: when given, the OTLP/HTTP port also serves
   * POST /api/track and POST /api/ingest/* (errors as { error: { code,
   * message } }), and the gRPC port justanalytics.analytics.v1.AnalyticsService,
   * into the same sink. Default: not served.
   */
  analytics?: CollectorAnalyticsOptions;
}

/** What the analytics routes need beyond the OTLP receivers' sink and keys. */
export interface CollectorAnalyticsOptions {
  sites: SiteDirectory;
  salts: SaltSource;
  geo: GeoLookup | null;
  drops: DropCounter;
  /** What one request may carry (signals/events/analytics-limits.ts); limits left out keep their defaults. */
  limits?: Partial<AnalyticsLimits>;
}

export interface CollectorPorts {
  httpPort: number;
  grpcPort: number;
}

export interface Collector {
  /**
   * Starts both receivers and resolves once both listen, with the ports they
   * got. If either fails to start, what did start is shut down and the
   * promise rejects. It may be called once.
   */
  start(): Promise<CollectorPorts>;
  /**
   * Stops accepting requests, waits for running exports to finish (what was
   * acknowledged is committed), then closes. Safe to call twice, before
   * start, or while start is still under way.
   */
  shutdown(): Promise<void>;
}

/** The OTLP collector: OTLP/HTTP and OTLP/gRPC receivers writing to one sink. */
export function createCollector(options: CollectorOptions): Collector {
  const settings = {
    host: options.host ?? DEFAULT_HOST,
    httpPort: options.httpPort ?? DEFAULT_HTTP_PORT,
    grpcPort: options.grpcPort ?? DEFAULT_GRPC_PORT,
    maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    maxInFlightBytes: options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES,
    corsOrigins: options.corsOrigins ?? [],
    trustedProxies: options.trustedProxies ?? [],
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
  };
  for (const name of ['httpPort', 'grpcPort'] as const) {
    const port = settings[name];
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`collector: options.${name} must be a port number, got ${String(port)}`);
  }
  for (const name of ['requestTimeoutMs', 'shutdownTimeoutMs'] as const) {
    const ms = settings[name];
    if (!Number.isSafeInteger(ms) || ms <= 0) throw new TypeError(`collector: options.${name} must be a positive integer, got ${String(ms)}`);
  }
  if (!Number.isSafeInteger(settings.maxInFlightBytes) || settings.maxInFlightBytes <= 0) {
    throw new TypeError(`collector: options.maxInFlightBytes must be a positive integer, got ${String(settings.maxInFlightBytes)}`);
  }
  const signals = options.signals ?? otlpSignals;
  if (signals.length === 0) throw new TypeError('collector: options.signals must not be empty');
  const logger = options.logger;
  const inFlight = new InFlight();
  // One budget for both receivers: they share the process's memory.
  const memoryBudget = new MemoryBudget(settings.maxInFlightBytes);
  // Validated once here, so a bad limit fails createCollector rather than start().
  const decodeLimits = decodeLimitsOf(options.decodeLimits, 'collector');
  if (options.analytics !== undefined) analyticsLimitsOf(options.analytics.limits, 'collector');
  const receivers = { sink: options.sink, keys: options.keys, signals, inFlight, memoryBudget, maxRequestBytes: settings.maxRequestBytes, decodeLimits };
  // Closers of what has started, most recent first.
  const stops: (() => Promise<void>)[] = [];
  let starting: Promise<CollectorPorts> | null = null;
  let stopping: Promise<void> | null = null;

  async function startReceivers(): Promise<CollectorPorts> {
    try {
      const http: FastifyInstance = await createOtlpHttpServer({
        ...receivers,
        corsOrigins: settings.corsOrigins,
        trustedProxies: settings.trustedProxies,
        requestTimeoutMs: settings.requestTimeoutMs,
        readiness: options.readiness,
        analytics: options.analytics,
        logger,
      });
      stops.unshift(() => http.close());
      await http.listen({ host: settings.host, port: settings.httpPort });
      const address = http.server.address();
      const httpPort = typeof address === 'object' && address !== null ? address.port : settings.httpPort;

      const grpc = createOtlpGrpcServer({
        ...receivers,
        requestTimeoutMs: settings.requestTimeoutMs,
        shutdownTimeoutMs: settings.shutdownTimeoutMs,
        analytics: options.analytics === undefined ? undefined : { limits: options.analytics.limits },
        logger,
      });
      stops.unshift(() => grpc.close());
      const grpcPort = await grpc.listen(settings.host, settings.grpcPort);

      logger.info({ host: settings.host, httpPort, grpcPort }, 'OTLP receivers listening');
      return { httpPort, grpcPort };
    } catch (error) {
      await stopReceivers().catch((stopError: unknown) => logger.error({ err: stopError }, 'stopping a half-started collector failed'));
      throw error;
    }
  }

  async function stopReceivers(): Promise<void> {
    // Stop accepting first, on both ports, then let running exports reach
    // their commit; the servers finish closing once those have answered.
    const closing = stops.splice(0).map((stop) => stop());
    await inFlight.close(settings.shutdownTimeoutMs);
    const failures = (await Promise.allSettled(closing)).filter((result) => result.status === 'rejected');
    if (failures.length > 0) throw new AggregateError(failures.map((failure) => failure.reason), 'collector shutdown failed');
  }

  return {
    start(): Promise<CollectorPorts> {
      if (stopping !== null) return Promise.reject(new Error('collector: start() after shutdown()'));
      if (starting !== null) return Promise.reject(new Error('collector: start() called twice'));
      starting = startReceivers();
      return starting;
    },
    shutdown(): Promise<void> {
      stopping ??= (async () => {
        // A start under way finishes (or fails and cleans up) first.
        await starting?.catch(() => undefined);
        await stopReceivers();
        logger.info('OTLP receivers stopped');
      })();
      return stopping;
    },
  };
}
