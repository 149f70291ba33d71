// A steady OTLP/HTTP protobuf load at a fixed rate of spans per second, for
// measuring queries while data arrives: requests are started on a clock, not
// when the previous one returns, up to `maxInFlight` at once. Every request
// carries traces never sent before (FreshTraceIds), as production traffic
// does: resending the same traces turns each flush into updates of the same
// trace summaries, which concurrent flushes then wait on.
import { Agent, request } from 'node:http';
import { FreshTraceIds } from './fresh-trace-ids.ts';
import { sampleTracePayload } from './sample-spans.ts';

export interface SteadyIngest {
  /** Stops sending, waits for the requests in flight, and says what was acknowledged. */
  stop(): Promise<{ spansPerSecond: number; failed: number }>;
  /** So far: spans acknowledged, requests not sent (`maxInFlight` were in flight), requests failed or not acknowledged, and each answered request's time in ms. */
  tally(): { acknowledged: number; skipped: number; rejected: number; latencySamplesMs: readonly number[] };
}

export function startSteadyIngest(port: number, key: string, spansPerSecond: number, spansPerRequest = 200, maxInFlight = 16): SteadyIngest {
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const payloads = Array.from({ length: 32 }, (_, variant) => {
    const payload = sampleTracePayload(spansPerRequest, variant);
    return new FreshTraceIds(payload.body, payload.traceIds, false);
  });
  const headers = { 'content-type': 'application/x-protobuf', authorization: `Bearer ${key}` };
  const intervalMs = (1000 * spansPerRequest) / spansPerSecond;
  const started = performance.now();
  let scheduled = 0;
  let sent = 0;
  let acknowledged = 0;
  let skipped = 0;
  let rejected = 0;
  let inFlight = 0;
  const latencySamplesMs: number[] = [];
  const pending = new Set<Promise<void>>();
  const send = (): void => {
    if (inFlight >= maxInFlight) {
      skipped++; // the server is slower than the rate: count it as a miss rather than queueing without bound
      return;
    }
    inFlight++;
    const sentAt = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = request({ agent, host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', () => {
          latencySamplesMs.push(performance.now() - sentAt);
          if (res.statusCode === 200) acknowledged += spansPerRequest;
          else rejected++;
          resolve();
        });
      });
      req.on('error', () => {
        rejected++;
        resolve();
      });
      // A copy: the next renewal of this payload must not change a body still being sent.
      req.end(Buffer.from(payloads[sent++ % payloads.length]!.renew()));
    }).finally(() => {
      inFlight--;
      pending.delete(done);
    });
    pending.add(done);
  };
  // Catch up on ticks the event loop delayed, so the rate holds on average.
  const timer = setInterval(() => {
    const due = Math.floor((performance.now() - started) / intervalMs);
    for (; scheduled < due; scheduled++) send();
  }, Math.max(1, Math.floor(intervalMs / 2)));
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      return { spansPerSecond: Math.round(acknowledged / ((performance.now() - started) / 1000)), failed: skipped + rejected };
    },
    tally: () => ({ acknowledged, skipped, rejected, latencySamplesMs }),
  };
}
