import type { Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import type { Test } from 'tap';
import { readConfig, type Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { startServer, type RunningServer } from '../../src/serve.ts';
import { createTestDatabase } from './test-database.ts';

export interface TestServer {
  server: RunningServer;
  /** The default site's ingest key (for exporters; it cannot read). */
  ingestKey: string;
  /** The default site's read key (for the query API; it cannot ingest). */
  readKey: string;
  siteId: string;
  otlpHttpUrl: string;
  otlpGrpcUrl: string;
  apiUrl: string;
  databaseUrl: string;
  /** The test's own connection to the server's database, for setting up rows the test needs (sites, keys). */
  db: Kysely<Database>;
  /** GET on the query API with the default read key (or `key`); the parsed JSON body and status. */
  api(path: string, key?: string): Promise<{ status: number; body: unknown }>;
  /**
   * Resolves once the server knows `key`, made on another connection: keys
   * reach running servers through LISTEN/NOTIFY, within a second, not at once.
   */
  untilKeyIsLive(key: string): Promise<void>;
}

/** The whole system on a fresh database, on ephemeral loopback ports, stopped at teardown; silent unless given a logger. */
export async function startTestServer(t: Test, overrides: Partial<Config> = {}, logger: Logger = pino({ level: 'silent' })): Promise<TestServer> {
  const { url, handle } = await createTestDatabase(t);
  const config: Config = {
    ...readConfig({}, {}),
    databaseUrl: url,
    host: '127.0.0.1',
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    apiPort: 0,
    ...overrides,
  };
  const server = await startServer(config, logger);
  t.teardown(() => server.shutdown());
  const site = server.createdDefaultSite;
  if (!site) throw new Error('a fresh database should get a default site');
  const apiUrl = `http://127.0.0.1:${server.apiPort}`;
  return {
    server,
    ingestKey: site.ingestKey,
    readKey: site.readKey,
    siteId: site.siteId,
    otlpHttpUrl: `http://127.0.0.1:${server.otlpHttpPort}`,
    otlpGrpcUrl: `http://127.0.0.1:${server.otlpGrpcPort}`,
    apiUrl,
    databaseUrl: url,
    db: handle.db,
    async api(path, key = site.readKey) {
      const response = await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: response.status, body: await response.json() };
    },
    async untilKeyIsLive(key) {
      for (const deadline = Date.now() + 2000; ; ) {
        // 401 only while the key is unknown; a key without read gets 403 once known.
        const response = await fetch(`${apiUrl}/api/v1/services`, { headers: { authorization: `Bearer ${key}` } });
        await response.arrayBuffer();
        if (response.status !== 401) return;
        if (Date.now() > deadline) throw new Error('the server did not learn of the key within 2 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
