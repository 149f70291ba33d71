import { pino } from 'pino';
import type { Test } from 'tap';
import { readConfig, type Config } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/serve.ts';
import { createTestDatabase } from './test-database.ts';

export interface TestServer {
  server: RunningServer;
  /** The default site's ingest+read key. */
  key: string;
  siteId: string;
  otlpHttpUrl: string;
  otlpGrpcUrl: string;
  apiUrl: string;
  databaseUrl: string;
  /** GET on the query API with the default key (or `key`); the parsed JSON body and status. */
  api(path: string, key?: string): Promise<{ status: number; body: unknown }>;
}

/** The whole system on a fresh database, on ephemeral loopback ports, stopped at teardown. */
export async function startTestServer(t: Test, overrides: Partial<Config> = {}): Promise<TestServer> {
  const { url } = await createTestDatabase(t);
  const config: Config = {
    ...readConfig({}, {}),
    databaseUrl: url,
    host: '127.0.0.1',
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    apiPort: 0,
    ...overrides,
  };
  const server = await startServer(config, pino({ level: 'silent' }));
  t.teardown(() => server.shutdown());
  const site = server.createdDefaultSite;
  if (!site) throw new Error('a fresh database should get a default site');
  const apiUrl = `http://127.0.0.1:${server.apiPort}`;
  return {
    server,
    key: site.key,
    siteId: site.siteId,
    otlpHttpUrl: `http://127.0.0.1:${server.otlpHttpPort}`,
    otlpGrpcUrl: `http://127.0.0.1:${server.otlpGrpcPort}`,
    apiUrl,
    databaseUrl: url,
    async api(path, key = site.key) {
      const response = await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: response.status, body: await response.json() };
    },
  };
}
