// Steady loads at a fixed rate, for measuring queries and memory while data
// arrives: requests are started on a clock, not when the previous one
// returns, up to a cap in flight; a request due while the cap is in flight
// is skipped and counted, not queued, so a slow server shows as a miss rather
// than as a client queue without bound.
import { httpExporter, type Exporter } from './bench-server.ts';
import { FreshTraceIds } from './fresh-trace-ids.ts';
import { sampleTracePayload } from './sample-spans.ts';

export interface Tally {
  /** Items in acknowledged requests. */
  acknowledged: number;
  /** Requests not sent: the cap was in flight. */
  skipped: number;
  /** Requests failed or not acknowledged. */
  rejected: number;
  /** Each answered request's time, in ms. */
  latencySamplesMs: readonly number[];
}

export interface PacedLoad {
  tally(): Tally;
  /** Stops sending, waits for the requests in flight, and says what was acknowledged over the whole run. */
  stop(): Promise<{ itemsPerSecond: number; failed: number }>;
}

/** Sends `next(i)` through `exporter` at `itemsPerSecond` ÷ `itemsPerRequest` requests a second, at most `cap` in flight. */
export function startPaced(exporter: Exporter, itemsPerSecond: number, itemsPerRequest: number, cap: number, next: (i: number) => Buffer): PacedLoad {
  const tally = { acknowledged: 0, skipped: 0, rejected: 0, latencySamplesMs: [] as number[] };
  const pending = new Set<Promise<void>>();
  const intervalMs = (1000 * itemsPerRequest) / itemsPerSecond;
  const started = performance.now();
  let scheduled = 0;
  const send = (): void => {
    if (pending.size >= cap) {
      tally.skipped++;
      return;
    }
    const sentAt = performance.now();
    const done: Promise<void> = exporter
      .send(next(scheduled))
      .then(
        (acknowledged) => {
          tally.latencySamplesMs.push(performance.now() - sentAt);
          if (acknowledged) tally.acknowledged += itemsPerRequest;
          else tally.rejected++;
        },
        () => {
          tally.rejected++;
        },
      )
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  // Catch up on ticks the event loop delayed, so the rate holds on average.
  const timer = setInterval(
    () => {
      const due = Math.floor((performance.now() - started) / intervalMs);
      for (; scheduled < due; scheduled++) send();
    },
    Math.min(100, Math.max(2, Math.floor(intervalMs / 2))),
  );
  return {
    tally: () => tally,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      exporter.close();
      return { itemsPerSecond: Math.round(tally.acknowledged / ((performance.now() - started) / 1000)), failed: tally.skipped + tally.rejected };
    },
  };
}

/**
 * Spans over OTLP/HTTP protobuf. Every request carries traces never sent
 * before (FreshTraceIds), as production traffic does: resending the same
 * traces turns each flush into updates of the same trace summaries, which
 * concurrent flushes then wait on.
 */
export function startSteadyIngest(port: number, key: string, spansPerSecond: number, spansPerRequest = 200, maxInFlight = 16): PacedLoad {
  const payloads = Array.from({ length: 32 }, (_, variant) => {
    const payload = sampleTracePayload(spansPerRequest, variant);
    return new FreshTraceIds(payload.body, payload.traceIds, false);
  });
  // A copy: the next renewal of this payload must not change a body still being sent.
  const next = (i: number): Buffer => Buffer.from(payloads[i % payloads.length]!.renew());
  return startPaced(httpExporter(port, key, maxInFlight), spansPerSecond, spansPerRequest, maxInFlight, next);
}
