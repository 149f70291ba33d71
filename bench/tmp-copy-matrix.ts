import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openDatabase } from '../backend/src/db/connect.ts';
import { migrateToLatestOrThrow } from '../backend/src/db/migrate.ts';
import { measureCopyLimit } from './copy-limit.ts';
import { sampleTracePayload } from './sample-spans.ts';

const dataDir = await mkdtemp(join(tmpdir(), 'ja-k-'));
const handle = await openDatabase({ dataDir, logger: pino({ level: 'warn' }), poolSize: 10 });
try {
  await migrateToLatestOrThrow(handle.db);
  const payloads = Array.from({ length: 160 }, (_, v) => sampleTracePayload(200, v));
  for (const [writers, requestsPerCopy] of [[8, 1], [2, 1], [2, 10], [8, 10], [4, 5], [1, 50]] as const) {
    const r = await measureCopyLimit(handle.pool, '1', payloads, { seconds: 5, writers, requestsPerCopy });
    console.log(writers, requestsPerCopy, r.rowsPerSecond, r.rowsCounted - r.warmUpRows === r.rows);
  }
} finally {
  await handle.close();
  await rm(dataDir, { recursive: true, force: true });
}
