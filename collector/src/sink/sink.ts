import type { EventRow } from '../signals/events/event-row.ts';
import type { IdentityRow } from '../signals/events/identity-row.ts';
import type { LogRow } from '../signals/logs/log-row.ts';
import type { MetricPointRow } from '../signals/metrics/metric-point-row.ts';
import type { SpanRow } from '../signals/traces/span-row.ts';

/** Each signal's row type, by signal name. */
export interface SignalRows {
  traces: SpanRow;
  logs: LogRow;
  metrics: MetricPointRow;
  /** Analytics events after the privacy pipeline; the store assigns their sessions. */
  events: EventRow;
  /** Identify calls: an anonymous ID belongs to a user. */
  identities: IdentityRow;
}

/** A batch of rows of one signal, all of one site. */
export type RowBatch = { [S in keyof SignalRows]: { signal: S; siteId: string; rows: SignalRows[S][] } }[keyof SignalRows];

/**
 * What a sink did with a batch. Rows it refused (outside retention, say) are
 * counted here and reported to the client through OTLP partial_success; they
 * never fail the rest of the batch.
 */
export interface WriteResult {
  rejected: number;
  message: string;
}

/**
 * Where receivers put decoded rows. `write` resolves only once every accepted
 * row is durably committed: receivers acknowledge an export on that promise.
 * It rejects with SinkOverloadedError or SinkUnavailableError (retryable) or any
 * other error (treated as an internal, non-retryable failure).
 */
export interface Sink {
  write(batch: RowBatch): Promise<WriteResult>;
}

/** The sink's queue is full: the client should retry after `retryAfterSeconds`. */
export class SinkOverloadedError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'SinkOverloadedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Storage cannot be reached or is failing: the client should retry later. */
export class SinkUnavailableError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SinkUnavailableError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
