import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { KeyResolver } from '../auth/key-resolver.ts';
import { decodeLimitsOf } from '../decode/decode-limits.ts';
import type { DecodeLimits } from '../decode/decode-limits.ts';
import { analyticsLimitsOf } from '../signals/events/analytics-limits.ts';
import type { AnalyticsLimits } from '../signals/events/analytics-limits.ts';
import { otlpSignals } from '../signals/index.ts';
import type { Sink } from '../sink/sink.ts';
import {
  DEFAULT_GRPC_MAX_CONCURRENT_STREAMS,
  DEFAULT_GRPC_MAX_SESSION_MEMORY_MB,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
} from './defaults.ts';
import { ReceiverError } from './errors.ts';
import { exportSignal } from './export.ts';
import type { ExportContext } from './export.ts';
import { addAnalyticsService, analyticsGrpcMethods } from './analytics-grpc.ts';
import { GrpcAdmission } from './grpc-admission.ts';
import { grpcExportCall, rawUnaryMethod } from './grpc-unary.ts';
import { toServiceError } from './grpc-status.ts';
import { InFlight } from './in-flight.ts';
import { memoryBudgetOf } from './memory-budget.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { SignalDescriptor } from './signal.ts';

export interface OtlpGrpcOptions {
  sink: Sink;
  keys: KeyResolver;
  logger: Logger;
  /** Tracks exports for graceful shutdown; shared with the HTTP receiver. Default: a new one. */
  inFlight?: InFlight;
  /** Largest message, after decompression (grpc-js enforces it). Default 64 MiB. */
  maxRequestBytes?: number;
  /** Memory budget of the requests in flight (messages and decoded rows); past it, RESOURCE_EXHAUSTED with RetryInfo. Default 256 MiB. */
  maxInFlightBytes?: number;
  /** The budget itself, to share one with the HTTP receiver (instead of maxInFlightBytes). Default: a new one. */
  memoryBudget?: MemoryBudget;
  /** Signals served. Default: otlpSignals (signals/index.ts). */
  signals?: readonly SignalDescriptor[];
  /** What decoding one request may build (decode/decode-limits.ts); limits left out keep their defaults. Default: DEFAULT_DECODE_LIMITS. */
  decodeLimits?: Partial<DecodeLimits>;
  /**
   * Longest from a call's headers to the last byte of its request; a slower
   * call is ended with DEADLINE_EXCEEDED and gives back its memory. Default 30 s.
   */
  requestTimeoutMs?: number;
  /** Calls open at once on one connection; more are refused (REFUSED_STREAM, retried by clients). Default 100. */
  maxConcurrentStreams?: number;
  /** Memory one connection's HTTP/2 session may use, in megabytes; past it, new calls on it are refused. Default 32. */
  maxSessionMemoryMb?: number;
  /**
   * Longest close() waits for running calls; those still open then are
   * answered UNAVAILABLE (retryable) and every connection is closed. Default 20 s.
   */
  shutdownTimeoutMs?: number;
  /**
   * Also serve justanalytics.analytics.v1.AnalyticsService (server SDK
   * events and identify calls, as POST /api/ingest/*), with these limits
   * (signals/events/analytics-limits.ts). Default: not served.
   */
  analytics?: { limits?: Partial<AnalyticsLimits> };
}

/** An OTLP/gRPC server, bound by listen() and stopped by close(). */
export interface OtlpGrpcServer {
  /** Binds host:port (0 for any free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Stops accepting calls and resolves once the running ones have finished,
   * or once shutdownTimeoutMs has passed and they have been ended. Safe to
   * call twice, or before listen().
   */
  close(): Promise<void>;
}

// Connections: an idle one is closed (the client reconnects when it next
// exports), a silent peer is found by keepalive pings and dropped, and none
// lives forever (the client reconnects, which also spreads clients over
// replicas behind a load balancer), its running calls getting a grace period
// longer than a request's time limit plus a slow commit.
const MAX_CONNECTION_IDLE_MS = 5 * 60_000;
const KEEPALIVE_TIME_MS = 2 * 60_000;
const KEEPALIVE_TIMEOUT_MS = 20_000;
const MAX_CONNECTION_AGE_MS = 30 * 60_000;
const MAX_CONNECTION_AGE_GRACE_MS = 90_000;
/** After shutdown has answered the calls still open, how long their answers get to leave before connections are cut. */
const FORCE_SHUTDOWN_GRACE_MS = 1000;

/**
 * OTLP/gRPC: the signals' `Export` methods (TraceService/Export, …). Calls
 * are admitted first (grpc-admission.ts: the key checked on the headers, the
 * request's memory reserved as it arrives, a time limit); messages stay raw
 * Buffers through grpc-js, so the very decoder of OTLP/HTTP runs on them;
 * grpc-js itself inflates gzip and deflate and caps the inflated size.
 */
export function createOtlpGrpcServer(options: OtlpGrpcOptions): OtlpGrpcServer {
  const maxRequestBytes = positiveInteger(options, 'maxRequestBytes', DEFAULT_MAX_REQUEST_BYTES);
  const requestTimeoutMs = positiveInteger(options, 'requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS);
  const maxConcurrentStreams = positiveInteger(options, 'maxConcurrentStreams', DEFAULT_GRPC_MAX_CONCURRENT_STREAMS);
  const maxSessionMemoryMb = positiveInteger(options, 'maxSessionMemoryMb', DEFAULT_GRPC_MAX_SESSION_MEMORY_MB);
  const shutdownTimeoutMs = positiveInteger(options, 'shutdownTimeoutMs', DEFAULT_SHUTDOWN_TIMEOUT_MS);
  const context: ExportContext = {
    sink: options.sink,
    keys: options.keys,
    inFlight: options.inFlight ?? new InFlight(),
    memoryBudget: memoryBudgetOf(options, 'otlp-grpc'),
    decodeLimits: decodeLimitsOf(options.decodeLimits, 'otlp-grpc'),
  };
  const logger = options.logger.child({ receiver: 'otlp-grpc' });
  const signals = options.signals ?? otlpSignals;
  const analyticsLimits = options.analytics === undefined ? null : analyticsLimitsOf(options.analytics.limits, 'otlp-grpc');
  const admission = new GrpcAdmission({
    keys: context.keys,
    signals,
    methods: analyticsLimits === null ? [] : analyticsGrpcMethods,
    memoryBudget: context.memoryBudget,
    maxRequestBytes,
    requestTimeoutMs,
    logger,
  });
  const server = new Server({
    interceptors: [admission.interceptor],
    'grpc.max_receive_message_length': maxRequestBytes,
    'grpc.max_concurrent_streams': maxConcurrentStreams,
    'grpc-node.max_session_memory': maxSessionMemoryMb,
    'grpc.max_connection_idle_ms': MAX_CONNECTION_IDLE_MS,
    'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
    'grpc.max_connection_age_ms': MAX_CONNECTION_AGE_MS,
    'grpc.max_connection_age_grace_ms': MAX_CONNECTION_AGE_GRACE_MS,
  });

  for (const signal of signals) {
    server.addService(serviceDefinition(signal), {
      Export(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
        exportSignal(signal, context, grpcExportCall(call, admission, logger)).then(
          (response) => callback(null, response),
          (error: ReceiverError) => callback(toServiceError(error)),
        );
      },
    });
  }

  if (analyticsLimits !== null) {
    const { sink, keys, inFlight, memoryBudget } = context;
    addAnalyticsService(server, admission, { sink, keys, inFlight, memoryBudget, limits: analyticsLimits }, logger);
  }

  let closing: Promise<void> | null = null;
  return {
    listen(host: string, port: number): Promise<number> {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (error, boundPort) => {
          if (error !== null) reject(error);
          else resolve(boundPort);
        });
      });
    },
    close(): Promise<void> {
      closing ??= new Promise((resolve, reject) => {
        let force: NodeJS.Timeout | undefined;
        const deadline = setTimeout(() => {
          // A stalled client or a stuck export must not hold shutdown: answer them, retryably.
          admission.endAll(new ReceiverError('unavailable', 'the collector is shutting down, retry later'));
          force = setTimeout(() => server.forceShutdown(), FORCE_SHUTDOWN_GRACE_MS);
        }, shutdownTimeoutMs);
        server.tryShutdown((error) => {
          clearTimeout(deadline);
          clearTimeout(force);
          if (error === undefined) resolve();
          else reject(error);
        });
      });
      return closing;
    },
  };
}

function positiveInteger<K extends keyof OtlpGrpcOptions>(options: OtlpGrpcOptions, name: K, fallback: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`otlp-grpc: options.${name} must be a positive integer, got ${String(options[name])}`);
  }
  return value;
}

function serviceDefinition(signal: SignalDescriptor): ServiceDefinition {
  return { Export: rawUnaryMethod(`/${signal.grpcService}/Export`, 'export') };
}
