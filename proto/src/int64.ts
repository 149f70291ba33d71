import type { Int64 } from './otlp-types.ts';

const TWO_POW_32 = 0x1_0000_0000n;

/**
 * Exact value of a decoded 64-bit field. Reads Long's two 32-bit halves, so
 * nanosecond times and int64 attributes above 2^53 keep every digit.
 */
export function int64ToBigInt(value: Int64): bigint {
  if (typeof value === 'number') return BigInt(value);
  const low = BigInt(value.low >>> 0);
  const high = value.unsigned ? BigInt(value.high >>> 0) : BigInt(value.high | 0);
  return high * TWO_POW_32 + low;
}

/** int64ToBigInt as a decimal string (the OTLP/JSON form of 64-bit integers). */
export function int64ToString(value: Int64): string {
  return int64ToBigInt(value).toString();
}
