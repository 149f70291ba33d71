// Run as a child process by db-embedded-first-run.test.ts: once every module is
// loaded, becomes the OS user given (an ordinary user running its own checkout,
// whose binaries it owns), opens the embedded PostgreSQL of the data directory,
// writes a row, restarts the server, reads the row back, and prints what it saw
// as one line of JSON.
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { binariesAt } from '../../src/db/embedded-binaries.ts';
import { openEmbeddedPostgres } from '../../src/db/embedded.ts';
import { readPostmasterPid } from '../../src/db/postmaster-pid.ts';

const [uidText, gidText, dataDir, packageRoot, systemDir] = process.argv.slice(2);
if (!uidText || !gidText || !dataDir || !packageRoot || !systemDir) throw new Error('usage: embedded-as-user.ts <uid> <gid> <dataDir> <binariesPackageRoot> <systemDir>');
const uid = Number(uidText);
const gid = Number(gidText);
if (process.getuid?.() !== uid) {
  process.setgroups?.([]);
  process.setgid?.(gid);
  process.setuid?.(uid);
}

const logger = pino({ level: 'silent' });
const binaries = await binariesAt(packageRoot, logger);

async function query(connectionString: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const first = await openEmbeddedPostgres({ dataDir, logger, binaries, systemDir });
await query(first.connectionString, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)');
const pgDir = join(dataDir, 'pg');
const postmaster = await readPostmasterPid(pgDir);
const postmasterUid = postmaster === null ? null : (await stat(`/proc/${postmaster.pid}`)).uid;
await first.stop();

const second = await openEmbeddedPostgres({ dataDir, logger, binaries, systemDir });
const kept = await query(second.connectionString, 'SELECT id FROM kept');
await second.stop();

const systemDirMade = await stat(systemDir).then(
  () => true,
  () => false,
);
process.stdout.write(
  `${JSON.stringify({
    uid: process.getuid?.(),
    postmasterUid,
    clusterOwner: (await stat(pgDir)).uid,
    clusterIsLink: (await lstat(pgDir)).isSymbolicLink(),
    restarted: second.startedHere,
    kept,
    systemDirMade,
  })}\n`,
);
