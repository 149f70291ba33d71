import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { Test } from 'tap';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.ts';
import { migrateToLatestOrThrow } from '../../src/db/migrate.ts';

export interface TestDatabase {
  /** Full connection string (password included) of the fresh database. */
  url: string;
  /** An open, migrated handle on it; closed at teardown. */
  handle: DatabaseHandle;
}

export interface TestDatabaseOptions {
  poolSize?: number;
  /** Leave the schema empty (for migration tests). Default false. */
  skipMigrations?: boolean;
}

/**
 * Runs one query on a connection of its own and resolves once that connection
 * is closed, socket and all. A pool's end() resolves before its sockets close,
 * and the teardown's DROP DATABASE … WITH (FORCE) then kills the one still
 * closing, whose 'error' nobody hears: an uncaught error in the test.
 */
export async function queryOnce<Row extends object>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A silent logger, or one at TEST_LOG_LEVEL for debugging a test. */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));
}

/**
 * A fresh, migrated database that disappears at `t`'s teardown. With
 * TEST_DATABASE_URL set (CI) it is a new database on that server, dropped
 * afterwards; otherwise an embedded PostgreSQL in a temporary directory,
 * stopped and removed afterwards.
 */
export async function createTestDatabase(t: Test, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  const database = serverUrl ? await onServer(t, serverUrl, options) : await embedded(t, options);
  if (!options.skipMigrations) await migrateToLatestOrThrow(database.handle.db);
  return database;
}

async function onServer(t: Test, serverUrl: string, options: TestDatabaseOptions): Promise<TestDatabase> {
  const name = `ja_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await withMaintenanceClient(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = (): Promise<unknown> =>
    withMaintenanceClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase({ databaseUrl: url.toString(), dataDir: tmpdir(), logger: testLogger(), poolSize: options.poolSize });
  } catch (error) {
    await drop();
    throw error;
  }
  t.teardown(async () => {
    await handle.close();
    // FORCE ends connections a test may have left open (PostgreSQL 13+).
    await drop();
  });
  return { url: url.toString(), handle };
}

async function embedded(t: Test, options: TestDatabaseOptions): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ja-test-db-'));
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase({ dataDir, logger: testLogger(), poolSize: options.poolSize });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  t.teardown(async () => {
    await handle.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { url: handle.connectionString, handle };
}

async function withMaintenanceClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
