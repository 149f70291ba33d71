import { resolve } from 'node:path';

/** Everything `serve` and the admin commands need, read once at start. */
export interface Config {
  /** PostgreSQL to use; when unset, an embedded server is run in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
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
  /** Days of spans kept; older partitions are dropped. */
  retentionDays: number;
  /** Rows the store may hold in memory before receivers answer 429. */
  maxQueuedRows: number;
  logLevel: string;
}

/** Values given on the command line, by config key; they win over the environment. */
export type ConfigFlags = Partial<Record<'data-dir' | 'host' | 'otlp-http-port' | 'otlp-grpc-port' | 'api-port', string>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function readConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (flag: keyof ConfigFlags | null, variable: string): string | undefined =>
    (flag ? flags[flag] : undefined) ?? nonEmpty(env[variable]);
  return {
    databaseUrl: nonEmpty(env.DATABASE_URL),
    dataDir: resolve(pick('data-dir', 'JUSTANALYTICS_DATA_DIR') ?? '.justanalytics'),
    host: pick('host', 'JUSTANALYTICS_HOST') ?? '127.0.0.1',
    otlpHttpPort: port(pick('otlp-http-port', 'JUSTANALYTICS_OTLP_HTTP_PORT'), 4318, 'OTLP/HTTP port'),
    otlpGrpcPort: port(pick('otlp-grpc-port', 'JUSTANALYTICS_OTLP_GRPC_PORT'), 4317, 'OTLP/gRPC port'),
    apiPort: port(pick('api-port', 'JUSTANALYTICS_API_PORT'), 8080, 'API port'),
    maxRequestBytes: positiveInt(pick(null, 'JUSTANALYTICS_MAX_REQUEST_BYTES'), 64 * 1024 * 1024, 'JUSTANALYTICS_MAX_REQUEST_BYTES'),
    maxInFlightBytes: positiveInt(pick(null, 'JUSTANALYTICS_MAX_INFLIGHT_BYTES'), 256 * 1024 * 1024, 'JUSTANALYTICS_MAX_INFLIGHT_BYTES'),
    corsOrigins: list(pick(null, 'JUSTANALYTICS_CORS_ORIGINS')),
    trustedProxies: list(pick(null, 'JUSTANALYTICS_TRUSTED_PROXIES')),
    retentionDays: positiveInt(pick(null, 'JUSTANALYTICS_RETENTION_DAYS'), 30, 'JUSTANALYTICS_RETENTION_DAYS'),
    maxQueuedRows: positiveInt(pick(null, 'JUSTANALYTICS_MAX_QUEUED_ROWS'), 200_000, 'JUSTANALYTICS_MAX_QUEUED_ROWS'),
    logLevel: pick(null, 'JUSTANALYTICS_LOG_LEVEL') ?? 'info',
  };
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

function positiveInt(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`${what} must be a positive integer, got "${value}"`);
  return n;
}
