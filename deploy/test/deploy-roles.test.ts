// Each role the deploy files run (`serve`, `serve --no-ingest`, `collect`),
// started as they start it (the image's entrypoint, the file's arguments and
// environment; only the database, the data directory and the ports are this
// machine's): every container port the files declare for the role is a port
// it listens on, every probe path answers 200 on its port, the image's
// healthcheck passes for the role (and fails once it is gone), and a span
// exported as the OpenTelemetry Collector configs export it (OTLP/gRPC, gzip,
// their authorization header with an ingest key) is stored.
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import t from 'tap';
import { sampleTraceRequest } from '../../bench/sample-spans.ts';
import { createApiKey } from '../../backend/src/store/api-keys.ts';
import { createSite } from '../../backend/src/store/sites.ts';
import { createTestDatabase, queryOnce } from '../../backend/test/helpers/test-database.ts';
import { instructions } from './helpers/dockerfile.ts';
import { deployedProcesses, otelcolFiles, readYaml, repoRoot, runtimeStage, type Probe } from './helpers/deploy-files.ts';
import { concreteEnv, configOf, listenerAt, portVariables, type Listener } from './helpers/role-config.ts';
import { freePort, getUntil, runCommand, startProcess } from './helpers/run-process.ts';

const runtime = runtimeStage();
const entrypoint = instructions(runtime, 'ENTRYPOINT').at(-1)!.json!;
const healthcheck = /CMD (\[.*\])$/.exec(instructions(runtime, 'HEALTHCHECK').at(-1)!.text)![1]!;
const healthcheckCommand = JSON.parse(healthcheck) as string[];

interface Role {
  args: string[];
  where: string[];
  /** Declared container ports, as listeners. */
  listeners: Set<Listener>;
  probes: Array<Probe & { listener: Listener | null; where: string }>;
  env: Record<string, string>;
}

// One start per distinct command line, checked against everything declared for it.
const roles = new Map<string, Role>();
for (const process of deployedProcesses()) {
  const config = configOf(process);
  const key = process.args.join(' ');
  const role = roles.get(key) ?? { args: process.args, where: [], listeners: new Set(), probes: [], env: concreteEnv(process.env) };
  roles.set(key, role);
  role.where.push(process.where);
  for (const port of process.ports) role.listeners.add(listenerAt(config, port)!);
  for (const probe of process.probes) role.probes.push({ ...probe, listener: probe.port === null ? null : listenerAt(config, probe.port), where: process.where });
}

t.test('the deploy files run the three roles', async (t) => {
  t.same([...roles.keys()].sort(), ['collect', 'serve', 'serve --no-ingest']);
});

for (const role of roles.values()) {
  t.test(`justanalytics ${role.args.join(' ')} (${role.where.join('; ')})`, async (t) => {
    const { url } = await createTestDatabase(t);
    const dataDir = await mkdtemp(join(tmpdir(), 'ja-deploy-role-'));
    t.teardown(() => rm(dataDir, { recursive: true, force: true }));
    const ports: Record<Listener, number> = { otlpHttp: await freePort(), otlpGrpc: await freePort(), api: await freePort() };
    const env: Record<string, string> = {
      ...role.env,
      DATABASE_URL: url,
      JUSTANALYTICS_DATA_DIR: dataDir,
      JUSTANALYTICS_HOST: '127.0.0.1',
      [portVariables.otlpHttp]: String(ports.otlpHttp),
      [portVariables.otlpGrpc]: String(ports.otlpGrpc),
      [portVariables.api]: String(ports.api),
    };
    const started = await startProcess(t, { cwd: repoRoot, command: [...entrypoint, ...role.args], env });

    for (const listener of role.listeners) {
      t.ok(await accepts(ports[listener]), `listens on the ${listener} port the files declare`);
    }
    for (const probe of role.probes) {
      if (probe.path === null) continue;
      const status = await getUntil(`http://127.0.0.1:${ports[probe.listener!]}${probe.path}`, 200);
      t.equal(status, 200, `${probe.where}: ${probe.kind} ${probe.path} on the ${probe.listener} port answers 200`);
    }
    const check = await runCommand(repoRoot, healthcheckCommand, env);
    t.equal(check.code, 0, `the image's healthcheck passes: ${check.stderr}`);

    started.child.kill('SIGTERM');
    t.same(await started.exited, [0, null], 'stops cleanly on SIGTERM');
    t.equal((await runCommand(repoRoot, healthcheckCommand, env)).code, 1, 'the healthcheck fails once the process is gone');
  });
}

t.test('a span exported as the OpenTelemetry Collector configs export it is stored by collect', async (t) => {
  const { url, handle } = await createTestDatabase(t);
  const site = await createSite(handle.db, { name: 'otelcol' });
  const { key } = await createApiKey(handle.db, { siteId: site.id, scopes: ['ingest'] });
  const dataDir = await mkdtemp(join(tmpdir(), 'ja-deploy-otelcol-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const grpcPort = await freePort();
  const env = { ...roles.get('collect')!.env, DATABASE_URL: url, JUSTANALYTICS_DATA_DIR: dataDir, JUSTANALYTICS_HOST: '127.0.0.1' };
  await startProcess(t, { cwd: repoRoot, command: [...entrypoint, 'collect'], env: { ...env, JUSTANALYTICS_OTLP_GRPC_PORT: String(grpcPort), JUSTANALYTICS_OTLP_HTTP_PORT: String(await freePort()) } });

  let spans = 0;
  for (const file of otelcolFiles) {
    const exporters = (readYaml(file).exporters ?? {}) as Record<string, { endpoint?: string; headers?: Record<string, string>; compression?: string }>;
    for (const [name, exporter] of Object.entries(exporters)) {
      if (exporter.headers === undefined) continue;
      // The collector substitutes ${env:NAME}; the operator puts the ingest key there.
      const headers = Object.entries(exporter.headers).map(([header, value]) => [header, value.replace(/\$\{env:\w+\}/g, key)] as const);
      t.equal(await exportTraces(grpcPort, headers, exporter.compression), 0, `${file}: ${name}'s headers and ${exporter.compression} are accepted`);
      spans += 8;
      const wrong = headers.map(([header, value]) => [header, value.replace(key, `${key.slice(0, -1)}x`)] as const);
      t.equal(await exportTraces(grpcPort, wrong, exporter.compression), 16, `${file}: ${name} with another key is refused (UNAUTHENTICATED)`);
    }
  }
  const [row] = await queryOnce<{ count: string }>(url, 'SELECT count(*) FROM spans WHERE site_id = $1', [site.id]);
  t.equal(Number(row?.count), spans, 'every exported span is stored, for the key\'s site');
});

/** One Export of 8 spans over OTLP/gRPC with these metadata headers; resolves with the gRPC status code. */
async function exportTraces(port: number, headers: ReadonlyArray<readonly [string, string]>, compression: string | undefined): Promise<number> {
  // grpc-js names gzip as compression algorithm 2.
  const options = compression === 'gzip' ? { 'grpc.default_compression_algorithm': 2 } : {};
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), options);
  const metadata = new Metadata();
  for (const [header, value] of headers) metadata.set(header, value);
  const raw = (buffer: Buffer): Buffer => buffer;
  try {
    return await new Promise<number>((resolve) => {
      client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', raw, raw, sampleTraceRequest(8), metadata, (error) => resolve(error?.code ?? 0));
    });
  } finally {
    client.close();
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
