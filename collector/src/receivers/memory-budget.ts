import { DEFAULT_MAX_IN_FLIGHT_BYTES } from './defaults.ts';
import { ReceiverError } from './errors.ts';

/**
 * A byte budget for the requests being served, shared by both receivers: the
 * collector's memory limiter. The sink bounds the rows it queues, but not the
 * bodies being read and decoded before they reach it; this does, by refusing
 * what does not fit with a retryable error, as the OpenTelemetry Collector's
 * memory limiter does. It counts, nothing more: no timers, no waiting.
 */
export class MemoryBudget {
  readonly limit: number;
  #reserved = 0;

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit <= 0) throw new RangeError(`MemoryBudget: limit must be a positive integer, got ${String(limit)}`);
    this.limit = limit;
  }

  /** Bytes reserved right now, by every holder together. */
  get reserved(): number {
    return this.#reserved;
  }

  /**
   * Reserves `bytes` if they fit under the limit. `held` is what the caller
   * already holds: a caller holding everything reserved (nobody else holds
   * anything) is granted even past the limit: a body that streams in past
   * the whole budget is then refused once, as too large, by the export that
   * sees its decoded size, rather than as overloaded chunk by chunk.
   */
  tryReserve(bytes: number, held = 0): boolean {
    checkBytes(bytes, 'bytes');
    checkBytes(held, 'held');
    if (held > this.#reserved) throw new RangeError(`MemoryBudget: held (${held}) exceeds what is reserved (${this.#reserved})`);
    if (this.#reserved + bytes > this.limit && this.#reserved !== held) return false;
    this.#reserved += bytes;
    return true;
  }

  release(bytes: number): void {
    checkBytes(bytes, 'bytes');
    if (bytes > this.#reserved) throw new RangeError(`MemoryBudget: releasing ${bytes} bytes, only ${this.#reserved} reserved`);
    this.#reserved -= bytes;
  }
}

function checkBytes(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`MemoryBudget: ${name} must be a non-negative integer, got ${String(value)}`);
}

/** Seconds a refused client waits: requests in flight usually finish well within that. */
const RETRY_AFTER_SECONDS = 1;

/**
 * What one export holds in a MemoryBudget: it grows as the export reads and
 * decodes, and is given back whole by release(), once, when the export ends.
 */
export class MemoryReservation {
  readonly #budget: MemoryBudget;
  #held = 0;

  constructor(budget: MemoryBudget) {
    this.#budget = budget;
  }

  get held(): number {
    return this.#held;
  }

  /**
   * Reserves `bytes` more, or throws ReceiverError('overloaded') (HTTP 429,
   * gRPC RESOURCE_EXHAUSTED with RetryInfo) when the budget is spent. An
   * arrow so it can be handed out as a callback.
   */
  readonly reserve = (bytes: number): void => {
    if (!this.#budget.tryReserve(bytes, this.#held)) {
      throw new ReceiverError('overloaded', 'too many requests in flight for the memory available, retry later', {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
    this.#held += bytes;
  };

  /** Reserves whatever is missing for the total to reach `bytes`. */
  reserveTotal(bytes: number): void {
    if (bytes > this.#held) this.reserve(bytes - this.#held);
  }

  release(): void {
    this.#budget.release(this.#held);
    this.#held = 0;
  }
}

/**
 * A receiver's budget from its options: the shared `memoryBudget` given, or a
 * new one of `maxInFlightBytes`. Throws TypeError on a bad or ambiguous value.
 */
export function memoryBudgetOf(options: { maxInFlightBytes?: number; memoryBudget?: MemoryBudget }, receiver: string): MemoryBudget {
  if (options.memoryBudget !== undefined) {
    if (!(options.memoryBudget instanceof MemoryBudget)) throw new TypeError(`${receiver}: options.memoryBudget must be a MemoryBudget`);
    if (options.maxInFlightBytes !== undefined) throw new TypeError(`${receiver}: give options.memoryBudget or options.maxInFlightBytes, not both`);
    return options.memoryBudget;
  }
  const limit = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new TypeError(`${receiver}: options.maxInFlightBytes must be a positive integer, got ${String(options.maxInFlightBytes)}`);
  }
  return new MemoryBudget(limit);
}
