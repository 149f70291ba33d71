import { SinkOverloadedError, SinkUnavailableError, type RowBatch, type WriteResult } from '@justanalytics/collector';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { dayOfMs } from '../db/days.ts';
import { ensurePartitionDays, type PartitionedTable } from '../db/partitions.ts';
import { classifyDatabaseError } from './database-errors.ts';
import { isRowId } from './ids.ts';
import type { AfterCommit, AnyBatch, SignalWriter, SignalWriters, SiteRows } from './signal-writer.ts';
import { LogWriter } from './logs/log-writer.ts';
import { MetricWriter } from './metrics/metric-writer.ts';
import { ResourceScopeWriter } from './resource-scopes.ts';
import { SpanWriter } from './traces/span-writer.ts';
import { EventWriter } from './events/event-writer.ts';
import { IdentityWriter } from './events/identity-writer.ts';

/** The defaults of PostgresSinkOptions that configuration shares, kept here once. */
export const STORE_DEFAULTS = {
  maxQueuedRows: 200_000,
  retentionDays: 30,
} as const;

export interface PostgresSinkOptions<Batch extends AnyBatch = RowBatch> {
  logger: Logger;
  /** One writer per signal; the sink hands each flush's rows of a signal to its writer. Default: defaultSignalWriters(). */
  writers?: SignalWriters<Batch>;
  /** Most rows in one flush (one transaction). A single larger write is flushed alone. Default 10,000. */
  maxBatchRows?: number;
  /**
   * Flushes (transactions) under way at once. Two let one flush's COMMIT wait
   * for the disk while the next one's COPY runs. Default 2.
   */
  maxConcurrentFlushes?: number;
  /** Rows queued or being written above which new writes are refused with SinkOverloadedError. Default 200,000. */
  maxQueuedRows?: number;
  /** Rows dated more than this many UTC days before today are rejected, unless their signal has its own. Default 30. */
  retentionDays?: number;
  /** Retention of the signals that differ from retentionDays. */
  signalRetentionDays?: Partial<Record<Batch['signal'], number>>;
  /** Rows dated more than this many UTC days after today are rejected. Default 1. */
  futureDays?: number;
  /**
   * Longest a statement of a flush may run. A flush stuck behind a lock or a
   * sick disk then fails, and its writes get SinkUnavailableError (a retryable
   * 503) instead of never being answered. Default 30 s.
   */
  flushTimeoutMs?: number;
  /** Retry-After given with SinkOverloadedError. Default 2 s. */
  overloadedRetryAfterSeconds?: number;
  /** Retry-After given with SinkUnavailableError. Default 5 s. */
  unavailableRetryAfterSeconds?: number;
  /** The clock, in milliseconds since the epoch. Default Date.now. */
  now?: () => number;
}

interface PendingWrite extends SiteRows<unknown> {
  writer: SignalWriter<unknown>;
  result: WriteResult;
  resolve(result: WriteResult): void;
  reject(error: Error): void;
}

// Attempts of one flush when it meets a deadlock or a partition that vanished.
const maxAttempts = 3;

/** The writers of the collector's signals. Adding a signal is adding its writer here. */
export function defaultSignalWriters(): SignalWriters<RowBatch> {
  // One memory of committed resource_scopes rows for all: a service's spans,
  // logs and metrics mostly share their (resource, scope) pairs.
  const resourceScopes = new ResourceScopeWriter();
  return {
    traces: new SpanWriter(resourceScopes),
    logs: new LogWriter(resourceScopes),
    metrics: new MetricWriter(resourceScopes),
    events: new EventWriter(),
    identities: new IdentityWriter(),
  };
}

/**
 * The store's sink: group commit into PostgreSQL. Writes that arrive while a
 * flush runs are queued, and the next flush writes all of them (up to
 * maxBatchRows) in one transaction, each signal's rows by its SignalWriter.
 * Every write's promise resolves only after that COMMIT. With the default
 * batch type it is the collector's Sink.
 */
export class PostgresSink<Batch extends AnyBatch = RowBatch> {
  readonly #pool: pg.Pool;
  readonly #db: Kysely<Database>;
  readonly #logger: Logger;
  readonly #writers: ReadonlyMap<string, SignalWriter<unknown>>;
  readonly #retentionDays: ReadonlyMap<string, number>;
  readonly #longestRetention: number;
  readonly #maxBatchRows: number;
  readonly #maxQueuedRows: number;
  readonly #maxConcurrentFlushes: number;
  readonly #flushTimeoutMs: number;
  readonly #futureDays: number;
  readonly #overloadedRetryAfter: number;
  readonly #unavailableRetryAfter: number;
  readonly #now: () => number;

  readonly #queue: PendingWrite[] = [];
  /** Rows queued plus rows in the flush under way. */
  #pendingRows = 0;
  /** Flush loops running; each takes groups off the queue until it is empty. */
  #flushers = 0;
  /** Flush loops inside a flush (as opposed to waiting to take their first group). */
  #busyFlushers = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** One promise per accepted write, settled when the write is. */
  readonly #unsettled = new Set<Promise<void>>();
  /** UTC days known to have a partition, by table. */
  readonly #daysWithPartitions = new Map<PartitionedTable, Set<number>>();

  constructor(pool: pg.Pool, options: PostgresSinkOptions<Batch>) {
    this.#pool = pool;
    // Partition DDL goes through Kysely on the same pool. This instance is never
    // destroyed: the pool belongs to the database handle.
    this.#db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    this.#logger = options.logger;
    // Without writers the batch type is the collector's RowBatch (the default type argument).
    const writers = options.writers ?? (defaultSignalWriters() as unknown as SignalWriters<Batch>);
    this.#writers = new Map(Object.entries<SignalWriter<unknown>>(writers));
    const defaultRetention = positive(options.retentionDays ?? STORE_DEFAULTS.retentionDays, 'retentionDays');
    const bySignal: Partial<Record<string, number>> = options.signalRetentionDays ?? {};
    this.#retentionDays = new Map(
      [...this.#writers.keys()].map((signal) => [signal, positive(bySignal[signal] ?? defaultRetention, `retention of ${signal}`)]),
    );
    this.#longestRetention = Math.max(defaultRetention, ...this.#retentionDays.values());
    this.#maxBatchRows = positive(options.maxBatchRows ?? 10_000, 'maxBatchRows');
    this.#maxQueuedRows = positive(options.maxQueuedRows ?? STORE_DEFAULTS.maxQueuedRows, 'maxQueuedRows');
    this.#maxConcurrentFlushes = positive(options.maxConcurrentFlushes ?? 2, 'maxConcurrentFlushes');
    this.#flushTimeoutMs = positive(options.flushTimeoutMs ?? 30_000, 'flushTimeoutMs');
    this.#futureDays = nonNegative(options.futureDays ?? 1, 'futureDays');
    this.#overloadedRetryAfter = options.overloadedRetryAfterSeconds ?? 2;
    this.#unavailableRetryAfter = options.unavailableRetryAfterSeconds ?? 5;
    this.#now = options.now ?? Date.now;
  }

  /** Rows accepted but not committed yet. */
  get pendingRows(): number {
    return this.#pendingRows;
  }

  async write(batch: Batch): Promise<WriteResult> {
    if (this.#closed) throw new SinkUnavailableError('the store is shutting down', this.#unavailableRetryAfter);
    if (!isRowId(batch.siteId)) throw new Error(`invalid site ID ${JSON.stringify(batch.siteId)}`);
    const writer = this.#writers.get(batch.signal);
    const retentionDays = this.#retentionDays.get(batch.signal);
    if (writer === undefined || retentionDays === undefined) throw new Error(`the store has no writer for ${JSON.stringify(batch.signal)}`);
    const today = dayOfMs(this.#now());
    const admission = writer.admit(batch.rows, { firstDay: today - retentionDays, lastDay: today + this.#futureDays });
    const result: WriteResult = { rejected: admission.rejected, message: admission.message };
    const rows = admission.accepted.length;
    if (rows === 0) return result;
    // A write bigger than the whole bound is still taken when nothing else waits, or it could never succeed.
    if (this.#pendingRows > 0 && this.#pendingRows + rows > this.#maxQueuedRows) {
      throw new SinkOverloadedError(`the store is behind: ${this.#pendingRows} rows are waiting to be written`, this.#overloadedRetryAfter);
    }
    const written = new Promise<WriteResult>((resolve, reject) => {
      this.#queue.push({ siteId: batch.siteId, rows: admission.accepted, writer, result, resolve, reject });
      this.#pendingRows += rows;
      this.#startFlushing();
    });
    const settled = written.then(
      () => undefined,
      () => undefined,
    );
    this.#unsettled.add(settled);
    void settled.then(() => this.#unsettled.delete(settled));
    return written;
  }

  /** Resolves when every write accepted before the call is committed or has failed (later writes are not waited for). */
  async flush(): Promise<void> {
    await Promise.all([...this.#unsettled]);
  }

  /** Refuses new writes (SinkUnavailableError), then writes everything queued. Safe twice. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.flush();
    return this.#closing;
  }

  #startFlushing(): void {
    // A second loop only when the running ones are all busy with a flush: a
    // write arriving while they wait for the next event-loop turn joins theirs.
    if (this.#flushers >= this.#maxConcurrentFlushes || this.#flushers > this.#busyFlushers) return;
    this.#flushers++;
    void this.#flushLoop();
  }

  async #flushLoop(): Promise<void> {
    try {
      // Let writes that arrive in the same turn of the event loop join the first flush.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.#queue.length > 0) {
        const group = this.#takeGroup();
        this.#busyFlushers++;
        try {
          await this.#flushGroup(group);
        } catch (error) {
          // #flushGroup settles every write itself; this is a bug guard, not a path.
          this.#logger.error({ err: error }, 'unexpected failure in the store');
          for (const write of group) write.reject(new Error('storing the rows failed', { cause: error }));
        } finally {
          this.#busyFlushers--;
          for (const write of group) this.#pendingRows -= write.rows.length;
        }
      }
    } finally {
      // No await between the last queue check and here, so no write can slip in unseen.
      this.#flushers--;
    }
  }

  #takeGroup(): PendingWrite[] {
    const group: PendingWrite[] = [this.#queue.shift()!];
    let rows = group[0]!.rows.length;
    while (this.#queue.length > 0 && rows + this.#queue[0]!.rows.length <= this.#maxBatchRows) {
      const next = this.#queue.shift()!;
      rows += next.rows.length;
      group.push(next);
    }
    return group;
  }

  async #flushGroup(group: PendingWrite[]): Promise<void> {
    try {
      await this.#commitWithRetries(group);
      for (const write of group) write.resolve(write.result);
      return;
    } catch (error) {
      if (classifyDatabaseError(error) === 'unavailable' || group.length === 1) {
        this.#fail(group, error);
        return;
      }
      this.#logger.warn({ err: error, writes: group.length }, 'a merged write failed; writing each client batch alone');
    }
    // A data error in one client's batch must not fail the others: each on its own.
    for (const write of group) {
      try {
        await this.#commitWithRetries([write]);
        write.resolve(write.result);
      } catch (error) {
        this.#fail([write], error);
      }
    }
  }

  /** Rejects writes: retryable when the database is unavailable, an internal error otherwise. */
  #fail(writes: readonly PendingWrite[], error: unknown): void {
    const rows = writes.reduce((sum, write) => sum + write.rows.length, 0);
    if (classifyDatabaseError(error) === 'unavailable') {
      this.#logger.warn({ err: error, writes: writes.length, rows }, 'the database is unavailable; rows were not stored');
      for (const write of writes) write.reject(new SinkUnavailableError('the database is unavailable', this.#unavailableRetryAfter, { cause: error }));
      return;
    }
    this.#logger.error({ err: error, writes: writes.length, rows }, 'rows could not be stored');
    const message = error instanceof Error ? error.message : String(error);
    for (const write of writes) write.reject(new Error(`storing the rows failed: ${message}`, { cause: error }));
  }

  async #commitWithRetries(group: readonly PendingWrite[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#commit(group);
        return;
      } catch (error) {
        const kind = classifyDatabaseError(error);
        if (attempt >= maxAttempts || (kind !== 'retry' && kind !== 'missing-partition')) throw error;
        if (kind === 'missing-partition') {
          // Retention dropped one; make it again, and let writers forget rows it may have taken.
          this.#daysWithPartitions.clear();
          for (const writer of this.#writers.values()) writer.partitionsChanged?.();
        }
        this.#logger.debug({ err: error, attempt }, 'retrying a flush');
      }
    }
  }

  async #commit(group: readonly PendingWrite[]): Promise<void> {
    await this.#ensurePartitions(group);
    // Each signal's writes in the order they came, one writer call per signal.
    const bySignal = new Map<SignalWriter<unknown>, PendingWrite[]>();
    for (const write of group) {
      const writes = bySignal.get(write.writer);
      if (writes === undefined) bySignal.set(write.writer, [write]);
      else writes.push(write);
    }
    const client = await this.#pool.connect();
    // A connection lost while checked out emits 'error' on the client besides
    // failing the query; unheard, that would be an uncaught exception.
    const onClientError = (): void => {};
    client.on('error', onClientError);
    let connectionBroken = false;
    try {
      await client.query(`BEGIN; SET LOCAL statement_timeout = ${this.#flushTimeoutMs}`);
      const afterCommit: AfterCommit[] = [];
      for (const [writer, writes] of bySignal) {
        const done = await writer.write(client, writes);
        if (done !== undefined) afterCommit.push(done);
      }
      await client.query('COMMIT');
      for (const done of afterCommit) done();
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        connectionBroken = true;
      }
      throw error;
    } finally {
      client.removeListener('error', onClientError);
      // A connection that failed mid-transaction is discarded, not reused.
      client.release(connectionBroken);
    }
  }

  async #ensurePartitions(group: readonly PendingWrite[]): Promise<void> {
    const missing = new Map<PartitionedTable, Set<number>>();
    for (const { writer, rows } of group) {
      for (const table of writer.tables) {
        const known = this.#daysWithPartitions.get(table);
        for (const { day } of rows) {
          if (known?.has(day) === true) continue;
          let days = missing.get(table);
          if (days === undefined) missing.set(table, (days = new Set()));
          days.add(day);
        }
      }
    }
    if (missing.size === 0) return;
    const created: string[] = [];
    for (const [table, days] of missing) {
      const made = await ensurePartitionDays(this.#db, table, [...days]);
      if (made.length > 0) for (const writer of this.#writers.values()) if (writer.tables.includes(table)) writer.partitionsChanged?.(table);
      created.push(...made);
      let known = this.#daysWithPartitions.get(table);
      if (known === undefined) this.#daysWithPartitions.set(table, (known = new Set()));
      for (const day of days) known.add(day);
    }
    if (created.length > 0) this.#logger.info({ partitions: created }, 'created partitions for incoming rows');
    const oldestKept = dayOfMs(this.#now()) - this.#longestRetention;
    for (const known of this.#daysWithPartitions.values()) for (const day of known) if (day < oldestKept) known.delete(day);
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

