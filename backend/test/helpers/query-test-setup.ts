// The common setup of the query and API tests (not a test file itself): a fresh
// database, a PostgresSink on it, two sites, and for API tests a read key of
// each site and the query API server.
import type { SpanRow } from '@justanalytics/collector';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Test } from 'tap';
import { buildApiServer } from '../../src/api/server.ts';
import type { Database } from '../../src/db/database.ts';
import { ApiKeyResolver, createApiKey } from '../../src/store/api-keys.ts';
import { PostgresSink } from '../../src/store/postgres-sink.ts';
import { createSite } from '../../src/store/sites.ts';
import { createTestDatabase, testLogger } from './test-database.ts';

export interface QueryTest {
  /** The ingest pool's Kysely (the sink's pool). */
  db: Kysely<Database>;
  /** The query API's pool, as `serve` gives it to the API server. */
  apiDb: Kysely<Database>;
  sink: PostgresSink;
  /** Two sites, so that every test can check that one does not see the other. */
  siteA: string;
  siteB: string;
  /** Writes span rows through the sink and throws if any is rejected. */
  write(siteId: string, rows: SpanRow[]): Promise<void>;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  /** The body as sent, for what JSON parsing would hide (64-bit integers). */
  raw: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface ApiTest extends QueryTest {
  /** A read key of siteA. */
  keyA: string;
  /** A key of siteB with the ingest scope besides read, so that a key of several scopes is covered. */
  keyB: string;
  app: FastifyInstance;
  /** GET through app.inject with `Authorization: Bearer <key>` (keyA by default). */
  get(url: string, key?: string): Promise<ApiResponse>;
}

/** Database, sink and two sites, all gone at `t`'s teardown. */
export async function setUpQueryTest(t: Test): Promise<QueryTest> {
  const { handle } = await createTestDatabase(t);
  const { db } = handle;
  const sink = new PostgresSink(handle.pool, { logger: testLogger() });
  t.teardown(() => sink.close());
  const siteA = (await createSite(db, { name: 'a' })).id;
  const siteB = (await createSite(db, { name: 'b' })).id;
  const write = async (siteId: string, rows: SpanRow[]): Promise<void> => {
    const result = await sink.write({ signal: 'traces', siteId, rows });
    if (result.rejected !== 0) throw new Error(`rows rejected: ${result.message}`);
  };
  return { db, apiDb: handle.api.db, sink, siteA, siteB, write };
}

/** setUpQueryTest, plus a key for each site and the query API server (closed at teardown). */
export async function setUpApiTest(t: Test): Promise<ApiTest> {
  const query = await setUpQueryTest(t);
  const { db, apiDb, siteA, siteB } = query;
  const keyA = (await createApiKey(db, { siteId: siteA, scopes: ['read'] })).key;
  const keyB = (await createApiKey(db, { siteId: siteB, scopes: ['ingest', 'read'] })).key;
  const app = await buildApiServer({ db: apiDb, readinessDb: db, keys: new ApiKeyResolver(db), logger: testLogger() });
  t.teardown(() => app.close());
  const get = async (url: string, key = keyA): Promise<ApiResponse> => {
    const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    return { status: response.statusCode, body: response.json(), raw: response.body, headers: response.headers };
  };
  return { ...query, keyA, keyB, app, get };
}
