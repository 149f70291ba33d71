import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Test } from 'tap';
import type { Database } from '../../src/db/database.ts';
import { PostgresSink, type PostgresSinkOptions } from '../../src/store/postgres-sink.ts';
import { createTestDatabase, testLogger } from './test-database.ts';

export interface WriterTest {
  db: Kysely<Database>;
  pool: pg.Pool;
  logger: Logger;
  /** A site ID no other test of the file uses, so the tests can share the database. */
  newSiteId(): string;
  /** A sink on the test database, closed at the end of `t`. */
  newSink(t: Test, options?: Partial<PostgresSinkOptions>): PostgresSink;
}

/**
 * What the signal writers' tests share: a fresh database, and sinks on it with
 * the clock at `now` (the sink's own clock when left out). Site IDs start at
 * `firstSiteId`, distinct per file for reading the database by hand.
 */
export async function startWriterTest(t: Test, options: { firstSiteId: number; now?: number }): Promise<WriterTest> {
  const { handle } = await createTestDatabase(t);
  const logger = testLogger();
  const clock = options.now === undefined ? {} : { now: () => options.now as number };
  let nextSite = options.firstSiteId;
  return {
    db: handle.db,
    pool: handle.pool,
    logger,
    newSiteId: () => String(nextSite++),
    newSink(t, sinkOptions = {}) {
      const sink = new PostgresSink(handle.pool, { logger, ...clock, ...sinkOptions });
      t.teardown(() => sink.close());
      return sink;
    },
  };
}
