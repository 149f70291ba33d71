import { resolve } from 'node:path';
import { DEFAULT_DECODE_LIMITS, DEFAULT_HOST, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS } from '@justanalytics/collector';
import type { DecodeLimits } from '@justanalytics/collector';
import { API_LIMIT_DEFAULTS } from './api/limits.ts';
import { API_POOL_DEFAULTS, MEMORY_SIZE } from './db/connect.ts';
import { ANALYTICS_ROLLUP_RETENTION_DAYS, storedSignals, type StoredSignal } from './db/partitions.ts';
import { ANALYTICS_ROLLUP_INTERVAL_SECONDS } from './jobs/analytics-rollups.ts';
import { STORE_DEFAULTS } from './store/postgres-sink.ts';

/** Everything `serve`, `collect` and the admin commands need, read once at start. */
export interface Config {
  /** PostgreSQL to use; when unset, an embedded server is run in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /**
   * Whether `serve` runs the OTLP receivers (`--no-ingest` turns them off, leaving the API and the jobs, for
   * when `collect` processes receive). `collect` always receives. Default true.
   */
  ingest: boolean;
  host: string;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  apiPort: number;
  /** Largest accepted OTLP request, after decompression. */
  maxRequestBytes: number;
  /** Memory budget of the OTLP requests in flight (bodies and decoded rows) before receivers answer 429. */
  maxInFlightBytes: number;
  /** Origins allowed to send OTLP/HTTP from a browser; empty means none. */
  corsOrigins: string[];
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For names the client; empty means none. */
  trustedProxies: string[];
  /** Longest an OTLP request may take to arrive whole (headers and body). */
  requestTimeoutMs: number;
  /** Longest shutdown waits for running exports before answering them as unavailable. */
  shutdownTimeoutMs: number;
  /** What decoding one OTLP request may build: attributes, events, links, value items and depth, elements per request. */
  decodeLimits: DecodeLimits;
  /** Days of data kept; older partitions are dropped. The default of every signal without its own. */
  retentionDays: number;
  /** Days kept of the signals set apart (`JUSTANALYTICS_TRACES_RETENTION_DAYS`, …). */
  signalRetentionDays: Partial<Record<StoredSignal, number>>;
  /** Days the analytics rollups and drop counts are kept (`JUSTANALYTICS_ANALYTICS_ROLLUP_RETENTION_DAYS`, default 800), apart from raw events. */
  analyticsRollupRetentionDays: number;
  /** Seconds between runs of the analytics rollup job (`JUSTANALYTICS_ANALYTICS_ROLLUP_INTERVAL_SECONDS`, default 60); unrolled quarters are computed live meanwhile. */
  analyticsRollupIntervalSeconds: number;
  /**
   * An MMDB city database (`JUSTANALYTICS_GEOIP_DB`, e.g. DB-IP's or MaxMind's) consulted before the shipped
   * DB-IP country database, for regions and cities. Default none.
   */
  geoIpDatabase: string | null;
  /** Rows the store may hold in memory before receivers answer 429. */
  maxQueuedRows: number;
  /** The query API's own database pool and the limits of each of its statements. */
  apiPoolSize: number;
  apiStatementTimeoutMs: number;
  /** PostgreSQL work_mem of the query API's connections, e.g. "8MB". */
  apiWorkMem: string;
  /** Most spans one trace fetch returns. */
  apiMaxTraceSpans: number;
  /** Most log records the logs of one trace return. */
  apiMaxTraceLogs: number;
  /** Longest time range, in hours, of a search that reads stored spans. */
  apiMaxSpanSearchHours: number;
  logLevel: string;
}

/** Values given on the command line, by config key; they win over the environment. */
export type ConfigFlags = Partial<Record<'data-dir' | 'host' | 'otlp-http-port' | 'otlp-grpc-port' | 'api-port', string>> & {
  'no-ingest'?: boolean;
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function readConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (flag: Exclude<keyof ConfigFlags, 'no-ingest'> | null, variable: string): string | undefined =>
    (flag ? flags[flag] : undefined) ?? nonEmpty(env[variable]);
  const ingest = flags['no-ingest'] !== true;
  if (!ingest) {
    // Ports of receivers that will not run: the command line contradicts itself.
    const given = (['otlp-http-port', 'otlp-grpc-port'] as const).find((flag) => flags[flag] !== undefined);
    if (given !== undefined) throw new ConfigError(`--no-ingest runs no receivers: drop --${given}`);
  }
  return {
    databaseUrl: nonEmpty(env.DATABASE_URL),
    dataDir: resolve(pick('data-dir', 'JUSTANALYTICS_DATA_DIR') ?? '.justanalytics'),
    ingest,
    host: pick('host', 'JUSTANALYTICS_HOST') ?? DEFAULT_HOST,
    otlpHttpPort: port(pick('otlp-http-port', 'JUSTANALYTICS_OTLP_HTTP_PORT'), 4318, 'OTLP/HTTP port'),
    otlpGrpcPort: port(pick('otlp-grpc-port', 'JUSTANALYTICS_OTLP_GRPC_PORT'), 4317, 'OTLP/gRPC port'),
    apiPort: port(pick('api-port', 'JUSTANALYTICS_API_PORT'), 8080, 'API port'),
    maxRequestBytes: positiveInt(pick(null, 'JUSTANALYTICS_MAX_REQUEST_BYTES'), 64 * 1024 * 1024, 'JUSTANALYTICS_MAX_REQUEST_BYTES'),
    maxInFlightBytes: positiveInt(pick(null, 'JUSTANALYTICS_MAX_INFLIGHT_BYTES'), 256 * 1024 * 1024, 'JUSTANALYTICS_MAX_INFLIGHT_BYTES'),
    corsOrigins: list(pick(null, 'JUSTANALYTICS_CORS_ORIGINS')),
    trustedProxies: list(pick(null, 'JUSTANALYTICS_TRUSTED_PROXIES')),
    requestTimeoutMs: positiveInt(pick(null, 'JUSTANALYTICS_REQUEST_TIMEOUT_MS'), DEFAULT_REQUEST_TIMEOUT_MS, 'JUSTANALYTICS_REQUEST_TIMEOUT_MS'),
    shutdownTimeoutMs: positiveInt(pick(null, 'JUSTANALYTICS_SHUTDOWN_TIMEOUT_MS'), DEFAULT_SHUTDOWN_TIMEOUT_MS, 'JUSTANALYTICS_SHUTDOWN_TIMEOUT_MS'),
    decodeLimits: {
      maxAttributes: positiveInt(pick(null, 'JUSTANALYTICS_MAX_ATTRIBUTES'), DEFAULT_DECODE_LIMITS.maxAttributes, 'JUSTANALYTICS_MAX_ATTRIBUTES'),
      maxSpanEvents: positiveInt(pick(null, 'JUSTANALYTICS_MAX_SPAN_EVENTS'), DEFAULT_DECODE_LIMITS.maxSpanEvents, 'JUSTANALYTICS_MAX_SPAN_EVENTS'),
      maxSpanLinks: positiveInt(pick(null, 'JUSTANALYTICS_MAX_SPAN_LINKS'), DEFAULT_DECODE_LIMITS.maxSpanLinks, 'JUSTANALYTICS_MAX_SPAN_LINKS'),
      maxValueItems: positiveInt(pick(null, 'JUSTANALYTICS_MAX_VALUE_ITEMS'), DEFAULT_DECODE_LIMITS.maxValueItems, 'JUSTANALYTICS_MAX_VALUE_ITEMS'),
      maxValueDepth: positiveInt(pick(null, 'JUSTANALYTICS_MAX_VALUE_DEPTH'), DEFAULT_DECODE_LIMITS.maxValueDepth, 'JUSTANALYTICS_MAX_VALUE_DEPTH'),
      maxRequestElements: positiveInt(
        pick(null, 'JUSTANALYTICS_MAX_REQUEST_ELEMENTS'),
        DEFAULT_DECODE_LIMITS.maxRequestElements,
        'JUSTANALYTICS_MAX_REQUEST_ELEMENTS',
      ),
    },
    retentionDays: positiveInt(pick(null, 'JUSTANALYTICS_RETENTION_DAYS'), STORE_DEFAULTS.retentionDays, 'JUSTANALYTICS_RETENTION_DAYS'),
    signalRetentionDays: signalRetention(env),
    analyticsRollupRetentionDays: positiveInt(
      pick(null, 'JUSTANALYTICS_ANALYTICS_ROLLUP_RETENTION_DAYS'),
      ANALYTICS_ROLLUP_RETENTION_DAYS,
      'JUSTANALYTICS_ANALYTICS_ROLLUP_RETENTION_DAYS',
    ),
    analyticsRollupIntervalSeconds: positiveInt(
      pick(null, 'JUSTANALYTICS_ANALYTICS_ROLLUP_INTERVAL_SECONDS'),
      ANALYTICS_ROLLUP_INTERVAL_SECONDS,
      'JUSTANALYTICS_ANALYTICS_ROLLUP_INTERVAL_SECONDS',
    ),
    geoIpDatabase: nonEmpty(pick(null, 'JUSTANALYTICS_GEOIP_DB')) ?? null,
    maxQueuedRows: positiveInt(pick(null, 'JUSTANALYTICS_MAX_QUEUED_ROWS'), STORE_DEFAULTS.maxQueuedRows, 'JUSTANALYTICS_MAX_QUEUED_ROWS'),
    apiPoolSize: positiveInt(pick(null, 'JUSTANALYTICS_API_POOL_SIZE'), API_POOL_DEFAULTS.poolSize, 'JUSTANALYTICS_API_POOL_SIZE'),
    apiStatementTimeoutMs: positiveInt(
      pick(null, 'JUSTANALYTICS_API_STATEMENT_TIMEOUT_MS'),
      API_POOL_DEFAULTS.statementTimeoutMs,
      'JUSTANALYTICS_API_STATEMENT_TIMEOUT_MS',
    ),
    apiWorkMem: memorySize(pick(null, 'JUSTANALYTICS_API_WORK_MEM'), API_POOL_DEFAULTS.workMem, 'JUSTANALYTICS_API_WORK_MEM'),
    apiMaxTraceSpans: positiveInt(pick(null, 'JUSTANALYTICS_API_MAX_TRACE_SPANS'), API_LIMIT_DEFAULTS.maxTraceSpans, 'JUSTANALYTICS_API_MAX_TRACE_SPANS'),
    apiMaxTraceLogs: positiveInt(pick(null, 'JUSTANALYTICS_API_MAX_TRACE_LOGS'), API_LIMIT_DEFAULTS.maxTraceLogs, 'JUSTANALYTICS_API_MAX_TRACE_LOGS'),
    apiMaxSpanSearchHours: positiveInt(
      pick(null, 'JUSTANALYTICS_API_MAX_SPAN_SEARCH_HOURS'),
      API_LIMIT_DEFAULTS.maxSpanSearchHours,
      'JUSTANALYTICS_API_MAX_SPAN_SEARCH_HOURS',
    ),
    logLevel: pick(null, 'JUSTANALYTICS_LOG_LEVEL') ?? 'info',
  };
}

/** `JUSTANALYTICS_<SIGNAL>_RETENTION_DAYS` of each stored signal that sets one. */
function signalRetention(env: NodeJS.ProcessEnv): Partial<Record<StoredSignal, number>> {
  const days: Partial<Record<StoredSignal, number>> = {};
  for (const signal of storedSignals) {
    const variable = `JUSTANALYTICS_${signal.toUpperCase()}_RETENTION_DAYS`;
    const value = nonEmpty(env[variable]);
    if (value !== undefined) days[signal] = positiveInt(value, 0, variable);
  }
  return days;
}

/** A comma-separated list, without empty items. */
function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function port(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${what} must be an integer from 0 to 65535, got "${value}"`);
  return n;
}

function memorySize(value: string | undefined, fallback: string, what: string): string {
  if (value === undefined) return fallback;
  if (!MEMORY_SIZE.test(value)) throw new ConfigError(`${what} must be a PostgreSQL memory size like "8MB" (kB, MB, GB), got "${value}"`);
  return value;
}

function positiveInt(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`${what} must be a positive integer, got "${value}"`);
  return n;
}
