import type { HrTime } from '@opentelemetry/api';

/** Exact nanoseconds of an OpenTelemetry JS [seconds, nanoseconds] time. */
export function hrTimeToBigInt(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}
