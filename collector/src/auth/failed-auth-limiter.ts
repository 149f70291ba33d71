import { isIPv4, isIPv6 } from 'node:net';

export interface FailedAuthLimiterOptions {
  /** Failed authentications per second a client earns back. Default 10. */
  failuresPerSecond?: number;
  /** Failed authentications a client may make in a row before it is refused. Default 50. */
  burst?: number;
  /** Most clients remembered; the one that failed least recently is forgotten first. Default 10,000. */
  maxClients?: number;
  /** A monotonic clock, in milliseconds. Default performance.now. */
  now?: () => number;
}

export const DEFAULT_FAILURES_PER_SECOND = 10;
export const DEFAULT_FAILURE_BURST = 50;
export const DEFAULT_MAX_FAILING_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Limits failed authentications (no key, a malformed or an unknown one) per
 * client address, with a token bucket per client. Callers check a presented
 * key first and come here only when it failed, so a request with a good key is
 * never refused, even from an address (a shared gateway) that is refused.
 * An IPv6 client counts per /64, since one host is usually given a whole /64.
 * Held in memory only: addresses are never logged or stored.
 */
export class FailedAuthLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  // Least recently failed first (a Map keeps insertion order; a failure re-inserts).
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: FailedAuthLimiterOptions = {}) {
    const failuresPerSecond = options.failuresPerSecond ?? DEFAULT_FAILURES_PER_SECOND;
    const burst = options.burst ?? DEFAULT_FAILURE_BURST;
    const maxClients = options.maxClients ?? DEFAULT_MAX_FAILING_CLIENTS;
    if (!(Number.isFinite(failuresPerSecond) && failuresPerSecond > 0)) {
      throw new TypeError(`failed-auth limiter: options.failuresPerSecond must be a positive number, got ${String(failuresPerSecond)}`);
    }
    if (!Number.isSafeInteger(burst) || burst < 1) throw new TypeError(`failed-auth limiter: options.burst must be a positive integer, got ${String(burst)}`);
    if (!Number.isSafeInteger(maxClients) || maxClients < 1) {
      throw new TypeError(`failed-auth limiter: options.maxClients must be a positive integer, got ${String(maxClients)}`);
    }
    this.#perMs = failuresPerSecond / 1000;
    this.#burst = burst;
    this.#maxClients = maxClients;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Counts one failed authentication from `address`. Null while the client is
   * within its allowance (answer the failure as such); otherwise the seconds
   * until it may fail again (answer "too many requests", retry after them).
   */
  recordFailure(address: string): number | null {
    const client = clientOf(address);
    const now = this.#now();
    const bucket = this.#buckets.get(client);
    let tokens = this.#burst;
    if (bucket !== undefined) {
      tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, now - bucket.at) * this.#perMs);
      this.#buckets.delete(client);
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.#buckets.set(client, { tokens, at: now });
    while (this.#buckets.size > this.#maxClients) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done) break;
      this.#buckets.delete(oldest.value);
    }
    return allowed ? null : Math.max(1, Math.ceil((1 - tokens) / this.#perMs / 1000));
  }

  /** Clients currently remembered (for tests: the memory is bounded). */
  get size(): number {
    return this.#buckets.size;
  }
}

/**
 * The client an address stands for: an IPv4 address (also when written as
 * IPv4-mapped IPv6), an IPv6 /64 prefix, or the text itself when it is neither.
 */
export function clientOf(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  const withoutZone = address.split('%', 1)[0] ?? address;
  if (!isIPv6(withoutZone)) return address;
  return `${ipv6Groups(withoutZone).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in lowercase hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const groupsOf = (part: string): string[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [group];
      // A trailing dotted IPv4 address is the last two groups.
      const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  };
  const [head = '', tail] = address.split('::');
  const headGroups = groupsOf(head);
  const tailGroups = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => '0');
  return [...headGroups, ...zeros, ...tailGroups].map((group) => Number.parseInt(group, 16).toString(16));
}
