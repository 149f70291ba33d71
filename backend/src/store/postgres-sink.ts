import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { SinkOverloadedError, SinkUnavailableError, type RowBatch, type Sink, type WriteResult } from '@justanalytics/collector';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { ensurePartitionDays, partitionedTables } from '../db/partitions.ts';
import { classifyDatabaseError } from './database-errors.ts';
import { isRowId } from './ids.ts';
import { ResourceScopeIds, resourceScopeRows, upsertResourceScopesQuery, WrittenResourceScopes } from './resource-scopes.ts';
import { admitSpans, type SiteSpans } from './span-admission.ts';
import { copySpansSql, spanCopyChunks } from './span-copy.ts';
import { summariseSpans, upsertTraceSummariesQuery } from './trace-summaries.ts';

export interface PostgresSinkOptions {
  logger: Logger;
  /** Most rows in one flush (one transaction). A single larger write is flushed alone. Default 10,000. */
  maxBatchRows?: number;
  /**
   * Flushes (transactions) under way at once. Two let one flush's COMMIT wait
   * for the disk while the next one's COPY runs. Default 2.
   */
  maxConcurrentFlushes?: number;
  /** Rows queued or being written above which new writes are refused with SinkOverloadedError. Default 100,000. */
  maxQueuedRows?: number;
  /** Spans that started more than this many UTC days before today are rejected. Default 30. */
  retentionDays?: number;
  /** Spans that start more than this many UTC days after today are rejected. Default 1. */
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

interface PendingWrite extends SiteSpans {
  result: WriteResult;
  resolve(result: WriteResult): void;
  reject(error: Error): void;
}

const dayMs = 86_400_000;
// Attempts of one flush when it meets a deadlock or a partition that vanished.
const maxAttempts = 3;

/**
 * The store's sink: group commit into PostgreSQL. Writes that arrive while a
 * flush runs are queued, and the next flush writes all of them (up to
 * maxBatchRows) in one transaction: one COPY into spans, one insert of the
 * (resource, scope) pairs not written before, and one upsert of the trace
 * summaries. Every write's promise resolves only after that COMMIT.
 */
export class PostgresSink implements Sink {
  readonly #pool: pg.Pool;
  readonly #db: Kysely<Database>;
  readonly #logger: Logger;
  readonly #maxBatchRows: number;
  readonly #maxQueuedRows: number;
  readonly #maxConcurrentFlushes: number;
  readonly #flushTimeoutMs: number;
  readonly #retentionDays: number;
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
  /** UTC days known to have partitions in every partitioned table. */
  readonly #daysWithPartitions = new Set<number>();
  /** resource_scopes rows committed by this sink, so that each is sent once. */
  readonly #writtenResourceScopes = new WrittenResourceScopes();

  constructor(pool: pg.Pool, options: PostgresSinkOptions) {
    this.#pool = pool;
    // Partition DDL goes through Kysely on the same pool. This instance is never
    // destroyed: the pool belongs to the database handle.
    this.#db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    this.#logger = options.logger;
    this.#maxBatchRows = positive(options.maxBatchRows ?? 10_000, 'maxBatchRows');
    this.#maxQueuedRows = positive(options.maxQueuedRows ?? 100_000, 'maxQueuedRows');
    this.#maxConcurrentFlushes = positive(options.maxConcurrentFlushes ?? 2, 'maxConcurrentFlushes');
    this.#flushTimeoutMs = positive(options.flushTimeoutMs ?? 30_000, 'flushTimeoutMs');
    this.#retentionDays = positive(options.retentionDays ?? 30, 'retentionDays');
    this.#futureDays = nonNegative(options.futureDays ?? 1, 'futureDays');
    this.#overloadedRetryAfter = options.overloadedRetryAfterSeconds ?? 2;
    this.#unavailableRetryAfter = options.unavailableRetryAfterSeconds ?? 5;
    this.#now = options.now ?? Date.now;
  }

  /** Rows accepted but not committed yet. */
  get pendingRows(): number {
    return this.#pendingRows;
  }

  async write(batch: RowBatch): Promise<WriteResult> {
    if (this.#closed) throw new SinkUnavailableError('the store is shutting down', this.#unavailableRetryAfter);
    if (!isRowId(batch.siteId)) throw new Error(`invalid site ID ${JSON.stringify(batch.siteId)}`);
    const today = Math.floor(this.#now() / dayMs);
    const admission = admitSpans(batch.rows, { firstDay: today - this.#retentionDays, lastDay: today + this.#futureDays });
    const result: WriteResult = { rejected: admission.rejected, message: admission.message };
    const rows = admission.accepted.length;
    if (rows === 0) return result;
    // A write bigger than the whole bound is still taken when nothing else waits, or it could never succeed.
    if (this.#pendingRows > 0 && this.#pendingRows + rows > this.#maxQueuedRows) {
      throw new SinkOverloadedError(`the store is behind: ${this.#pendingRows} rows are waiting to be written`, this.#overloadedRetryAfter);
    }
    const written = new Promise<WriteResult>((resolve, reject) => {
      this.#queue.push({ siteId: batch.siteId, spans: admission.accepted, result, resolve, reject });
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
          this.#logger.error({ err: error }, 'unexpected failure in the span store');
          for (const write of group) write.reject(new Error('storing the spans failed', { cause: error }));
        } finally {
          this.#busyFlushers--;
          for (const write of group) this.#pendingRows -= write.spans.length;
        }
      }
    } finally {
      // No await between the last queue check and here, so no write can slip in unseen.
      this.#flushers--;
    }
  }

  #takeGroup(): PendingWrite[] {
    const group: PendingWrite[] = [this.#queue.shift()!];
    let rows = group[0]!.spans.length;
    while (this.#queue.length > 0 && rows + this.#queue[0]!.spans.length <= this.#maxBatchRows) {
      const next = this.#queue.shift()!;
      rows += next.spans.length;
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
      this.#logger.warn({ err: error, writes: group.length }, 'a merged span write failed; writing each client batch alone');
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
    const spans = writes.reduce((sum, write) => sum + write.spans.length, 0);
    if (classifyDatabaseError(error) === 'unavailable') {
      this.#logger.warn({ err: error, writes: writes.length, spans }, 'the database is unavailable; spans were not stored');
      for (const write of writes) write.reject(new SinkUnavailableError('the database is unavailable', this.#unavailableRetryAfter, { cause: error }));
      return;
    }
    this.#logger.error({ err: error, writes: writes.length, spans }, 'spans could not be stored');
    const message = error instanceof Error ? error.message : String(error);
    for (const write of writes) write.reject(new Error(`storing the spans failed: ${message}`, { cause: error }));
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
          // Retention dropped one; make it again, and its resource_scopes rows with it.
          this.#daysWithPartitions.clear();
          this.#writtenResourceScopes.clear();
        }
        this.#logger.debug({ err: error, attempt }, 'retrying a span flush');
      }
    }
  }

  async #commit(group: readonly PendingWrite[]): Promise<void> {
    await this.#ensurePartitions(group);
    const ids = new ResourceScopeIds();
    const resourceScopes = resourceScopeRows(group, ids);
    const summaries = upsertTraceSummariesQuery(summariseSpans(group));
    const client = await this.#pool.connect();
    // A connection lost while checked out emits 'error' on the client besides
    // failing the query; unheard, that would be an uncaught exception.
    const onClientError = (): void => {};
    client.on('error', onClientError);
    let connectionBroken = false;
    try {
      await client.query(`BEGIN; SET LOCAL statement_timeout = ${this.#flushTimeoutMs}`);
      await copyInto(client, spanCopyChunks(group, ids));
      // Which rows are new is decided after the COPY: a partition dropped and
      // made again by another flush before this COPY has cleared the memory by
      // now (the COPY could not have gone into the new partition otherwise),
      // and one dropped later waits for this COMMIT and takes these rows with
      // it. Also, the new rows' locks are then held only until the COMMIT.
      const generation = this.#writtenResourceScopes.generation;
      const newResourceScopes = this.#writtenResourceScopes.unwritten(resourceScopes);
      if (newResourceScopes.length > 0) {
        const upsert = upsertResourceScopesQuery(newResourceScopes);
        await client.query(upsert.text, upsert.values);
      }
      await client.query(summaries.text, summaries.values);
      await client.query('COMMIT');
      this.#writtenResourceScopes.add(newResourceScopes, generation);
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
    const missing = new Set<number>();
    for (const write of group) for (const { day } of write.spans) if (!this.#daysWithPartitions.has(day)) missing.add(day);
    if (missing.size === 0) return;
    const days = [...missing];
    const created: string[] = [];
    for (const table of partitionedTables) {
      const made = await ensurePartitionDays(this.#db, table, days);
      // A resource_scopes partition made now may replace one that held rows this sink remembers.
      if (table === 'resource_scopes' && made.length > 0) this.#writtenResourceScopes.clear();
      created.push(...made);
    }
    if (created.length > 0) this.#logger.info({ partitions: created }, 'created partitions for incoming spans');
    const oldestKept = Math.floor(this.#now() / dayMs) - this.#retentionDays;
    for (const day of this.#daysWithPartitions) if (day < oldestKept) this.#daysWithPartitions.delete(day);
    for (const day of days) this.#daysWithPartitions.add(day);
  }
}

/** Streams the chunks through COPY FROM STDIN, honouring backpressure; resolves when the server has them all. */
async function copyInto(client: pg.PoolClient, chunks: Iterable<string>): Promise<void> {
  const stream = client.query(copyFrom(copySpansSql));
  const done = finished(stream);
  done.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
  for (const chunk of chunks) {
    if (stream.destroyed || stream.errored) break;
    if (!stream.write(chunk)) {
      const drained = once(stream, 'drain');
      drained.catch(() => {});
      await Promise.race([drained, done]);
    }
  }
  if (!stream.destroyed) stream.end();
  await done;
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}
