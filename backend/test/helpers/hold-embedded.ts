// Run as a child process by db-embedded.test.ts: opens the embedded PostgreSQL
// of the data directory given as argument, prints "ready <port>", and waits to
// be killed.
import { pino } from 'pino';
import { openEmbeddedPostgres } from '../../src/db/embedded.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: hold-embedded.ts <dataDir>');
const server = await openEmbeddedPostgres({ dataDir, logger: pino({ level: 'silent' }) });
process.stdout.write(`ready ${server.port}\n`);
setInterval(() => {}, 60_000);
