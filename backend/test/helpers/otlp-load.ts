// A bounded OTLP/HTTP load for fault tests: a few clients posting OTLP/JSON
// requests of fresh spans until told to stop or a deadline passes, recording
// every answer (status, Retry-After, how long it took) and which spans were
// acknowledged with a 200. Retryable refusals (429/503) are retried after a
// short pause, not after the full Retry-After, so the load keeps pressing.
import { queryOnce } from './test-database.ts';
import { otlpJsonTraces, type GeneratedSpan } from './otlp-json-request.ts';

export interface LoadAnswer {
  /** HTTP status, or 0 when the request failed without one (connection refused or reset, timed out). */
  status: number;
  /** The Retry-After header, or null. */
  retryAfter: string | null;
  /** Milliseconds from sending to the whole answer. */
  ms: number;
  /** Date.now() when the answer came. */
  at: number;
  /** For status 0: why. */
  error?: string;
}

export interface LoadOptions {
  url: string;
  key: string;
  clients: number;
  spansPerRequest: number;
  /** The load ends at this Date.now(), or earlier through stop(). */
  deadline: number;
  /** A request still unanswered after this long is aborted and recorded with status 0. */
  requestTimeoutMs: number;
  /** Pause of a client after a refusal or a failed connection. Default 100 ms. */
  pauseMs?: number;
}

export class OtlpLoad {
  readonly answers: LoadAnswer[] = [];
  readonly acknowledged: GeneratedSpan[] = [];
  readonly #options: LoadOptions;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(options: LoadOptions) {
    this.#options = options;
    this.#done = Promise.all(Array.from({ length: options.clients }, () => this.#client())).then(() => undefined);
  }

  /** Asks every client to stop after its current request, and waits for them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  /** Resolves once `predicate` holds (checked every 50 ms), or when the load ends. True when it held. */
  async waitFor(predicate: () => boolean, until = this.#options.deadline): Promise<boolean> {
    while (!predicate()) {
      if (this.#stopped || Date.now() >= Math.min(until, this.#options.deadline)) return predicate();
      await sleep(50);
    }
    return true;
  }

  /** Answers since a Date.now() time, by status. */
  statusesSince(since: number): Record<number, number> {
    const counts: Record<number, number> = {};
    for (const answer of this.answers) if (answer.at >= since) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
    return counts;
  }

  async #client(): Promise<void> {
    const { url, key, spansPerRequest, deadline, requestTimeoutMs, pauseMs = 100 } = this.#options;
    while (!this.#stopped && Date.now() < deadline) {
      const { body, spans } = otlpJsonTraces(spansPerRequest, 'fault');
      const sent = Date.now();
      let answer: LoadAnswer;
      try {
        const response = await fetch(`${url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        await response.arrayBuffer();
        answer = { status: response.status, retryAfter: response.headers.get('retry-after'), ms: Date.now() - sent, at: Date.now() };
        if (response.status === 200) this.acknowledged.push(...spans);
      } catch (error) {
        answer = { status: 0, retryAfter: null, ms: Date.now() - sent, at: Date.now(), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
      this.answers.push(answer);
      if (answer.status !== 200) await sleep(pauseMs);
    }
  }
}

/** The acknowledged spans missing from the `spans` table, looked up by span ID on a connection of its own. */
export async function missingSpans(databaseUrl: string, spans: readonly GeneratedSpan[]): Promise<GeneratedSpan[]> {
  const stored = new Set<string>();
  const ids = [...new Set(spans.map((span) => span.spanId))];
  for (let i = 0; i < ids.length; i += 10_000) {
    const chunk = ids.slice(i, i + 10_000).map((id) => Buffer.from(id, 'hex'));
    const rows = await queryOnce<{ span_id: string }>(databaseUrl, `SELECT encode(span_id, 'hex') AS span_id FROM spans WHERE span_id = ANY($1::bytea[])`, [chunk]);
    for (const row of rows) stored.add(row.span_id);
  }
  return spans.filter((span) => !stored.has(span.spanId));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
