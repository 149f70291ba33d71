// Latency statistics of repeated calls: percentiles by nearest rank.
export interface Latency {
  calls: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function latencyOf(samplesMs: readonly number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  return { calls: sorted.length, p50: round(rank(50)), p95: round(rank(95)), p99: round(rank(99)), max: round(sorted.at(-1) ?? NaN) };
}
