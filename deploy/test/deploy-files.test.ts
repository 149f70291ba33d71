// The deploy files against the code they deploy, without a container engine:
// every command line is accepted by the real CLI, every JUSTANALYTICS_*
// variable named anywhere in deploy/ is read by backend/src/config.ts, every
// port and probe is a listener of the process's real configuration, the data
// directory is a volume, the Dockerfile installs exactly the workspaces the
// backend needs, Kubernetes objects refer to each other correctly, and the
// compose files, the balancer config and the OpenTelemetry Collector configs
// agree with each other and with the JustAnalytics ports and auth.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, readConfig } from '../../backend/src/config.ts';
import { usage } from '../../backend/src/cli/usage.ts';
import { npmStartNodeFlags } from '../start-flags.ts';
import { instructions } from './helpers/dockerfile.ts';
import {
  composeFiles,
  composeServices,
  deployedProcesses,
  deployFiles,
  dockerfile,
  imageDefaults,
  isJustAnalyticsService,
  kubernetesFiles,
  kubernetesObjects,
  otelcolFiles,
  podSpec,
  readText,
  readYaml,
  readYamlDocuments,
  repoRoot,
  runtimeStage,
  type YamlObject,
} from './helpers/deploy-files.ts';
import { configOf, listenerAt } from './helpers/role-config.ts';

const bin = join(repoRoot, 'backend/bin/justanalytics.js');

function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, DATABASE_URL: '' } }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });
}

const processes = deployedProcesses();
const distinctArgs = [...new Map(processes.map((process) => [JSON.stringify(process.args), process.args])).values()];

t.test('every command line of deploy/ is one the real CLI accepts', async (t) => {
  const commands = new Set([...usage.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((match) => match[1]));
  for (const args of distinctArgs) {
    const [command, ...rest] = args;
    t.ok(commands.has(command!), `"${command}" is a command in the usage text (${args.join(' ')})`);
    for (const flag of rest.filter((arg) => arg.startsWith('--'))) {
      t.ok(usage.includes(flag), `${flag} is documented in the usage text (${args.join(' ')})`);
    }
    // --help stops before anything starts, after the strict parse of every flag.
    const { code, stderr } = await runCli([...args, '--help']);
    t.equal(code, 0, `justanalytics ${args.join(' ')} parses: ${stderr.split('\n')[0]}`);
  }
  // The check can fail: an unknown flag is refused.
  t.equal((await runCli(['serve', '--no-such-flag', '--help'])).code, 2);
});

t.test('every JUSTANALYTICS_* variable named in deploy/ is read by the configuration', async (t) => {
  const named = new Set<string>();
  for (const file of deployFiles()) {
    for (const match of readText(file).matchAll(/\bJUSTANALYTICS_[A-Z0-9_]*[A-Z0-9]\b/g)) named.add(match[0]);
  }
  t.ok(named.size >= 10, `found ${named.size} names`);
  const baseline = JSON.stringify(readConfig({}, {}));
  for (const name of [...named].sort()) {
    t.ok(readsVariable(name, baseline), `${name} changes what readConfig returns`);
  }
  t.notOk(readsVariable('JUSTANALYTICS_NOT_A_SETTING', baseline), 'an unknown name is caught');
});

/** Setting the variable (alone) to a probe value changes the configuration, or is refused as invalid. */
function readsVariable(name: string, baseline: string): boolean {
  try {
    return JSON.stringify(readConfig({}, { [name]: 'deploy-test-probe' })) !== baseline;
  } catch (error) {
    return error instanceof ConfigError;
  }
}

t.test('each deployed process has a valid configuration, its ports are its listeners, its data directory a volume', async (t) => {
  for (const process of processes) {
    const config = configOf(process);
    t.equal(process.env.JUSTANALYTICS_HOST, '0.0.0.0', `${process.where}: listens on every interface of the container`);
    for (const port of process.ports) t.not(listenerAt(config, port), null, `${process.where}: port ${port} is a listener`);
    for (const probe of process.probes) {
      if (probe.port !== null) t.not(listenerAt(config, probe.port), null, `${process.where}: ${probe.kind} port ${probe.port} is a listener`);
      if (probe.path !== null) t.match(probe.path, /^\/(healthz|readyz)$/, `${process.where}: ${probe.kind} asks a health route`);
    }
    t.ok(process.probes.length > 0, `${process.where}: has a health check`);
    t.ok(process.mounts.includes(config.dataDir), `${process.where}: the data directory ${config.dataDir} is a volume`);
    if (process.where !== imageDefaults().where) t.ok(process.env.DATABASE_URL, `${process.where}: sets DATABASE_URL`);
  }
});

t.test('the Dockerfile installs and copies exactly the workspaces the backend needs', async (t) => {
  const file = dockerfile();
  const runtime = runtimeStage(file);
  t.match(runtime.base, /^node:24-slim$|^gcr\.io\/distroless\/nodejs24/, 'node 24 slim or distroless');
  t.equal(file.stages.length, 2, 'multi-stage: install, then runtime');

  // backend → collector → proto, from the package.json files.
  const needed = workspaceClosure('backend');
  t.same(needed.sort(), ['backend', 'collector', 'proto']);
  const install = file.stages[0]!;
  const run = instructions(install, 'RUN').map((instruction) => instruction.text).join('\n');
  t.match(run, /npm ci\b/);
  t.match(run, /--omit=dev\b/);
  const workspaces = [...run.matchAll(/--workspace=(\S+)/g)].map((match) => match[1]!).sort();
  t.same(workspaces, needed.sort(), 'installs the production dependencies of those workspaces only');
  const installCopies = instructions(install, 'COPY').map((instruction) => instruction.text);
  for (const workspace of needed) t.ok(installCopies.some((text) => text.startsWith(`${workspace}/package.json `)), `copies ${workspace}/package.json before npm ci`);

  // Every COPY from the context names a file that exists; the runtime has each workspace's sources.
  for (const stage of file.stages) {
    for (const copy of instructions(stage, 'COPY').filter((instruction) => instruction.flags.from === undefined)) {
      for (const source of copy.text.split(/\s+/).slice(0, -1)) t.ok(existsSync(join(repoRoot, source)), `COPY ${source} exists`);
    }
  }
  const runtimeCopies = instructions(runtime, 'COPY').map((instruction) => instruction.text.split(/\s+/)[0]!);
  for (const workspace of needed) t.ok(runtimeCopies.includes(`${workspace}/src`), `the runtime has ${workspace}/src`);
  for (const file of readdirSync(join(repoRoot, 'proto'))) {
    if (file.endsWith('.proto') || ['google', 'opentelemetry'].includes(file)) t.ok(runtimeCopies.includes(`proto/${file}`), `the runtime has proto/${file}`);
  }

  const user = instructions(runtime, 'USER').at(-1)?.text ?? 'root';
  t.match(user, /^[1-9]\d*:[1-9]\d*$/, 'runs as a numeric non-root user');
  const entrypoint = instructions(runtime, 'ENTRYPOINT').at(-1)?.json ?? [];
  // The image runs the server with the Node flags `npm start` gives it.
  const flags = npmStartNodeFlags();
  t.ok(flags.includes('--max-semi-space-size=8'), 'npm start caps the young generation');
  t.same(entrypoint, ['node', ...flags, 'backend/bin/justanalytics.js']);
  const healthcheck = instructions(runtime, 'HEALTHCHECK').at(-1)?.text ?? '';
  t.match(healthcheck, /CMD \["node", "deploy\/healthcheck\.ts"\]/);
  t.ok(runtimeCopies.includes('deploy/healthcheck.ts'), 'the healthcheck script is in the image');
  // The volume is made and owned by the user before USER, or the user could not write it.
  const runs = instructions(runtime, 'RUN').map((instruction) => instruction.text).join('\n');
  t.match(runs, new RegExp(`chown ${user} ${imageDefaults().env.JUSTANALYTICS_DATA_DIR}\\b`));
});

function workspaceClosure(workspace: string): string[] {
  const found = new Set<string>([workspace]);
  for (const queue = [workspace]; queue.length > 0; ) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, queue.pop()!, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      const local = /^@justanalytics\/(.+)$/.exec(name)?.[1];
      if (local && !found.has(local)) {
        found.add(local);
        queue.push(local);
      }
    }
  }
  return [...found];
}

t.test('Kubernetes: Services select Deployments, the HPA scales one, probes and secrets line up', async (t) => {
  const objects = kubernetesObjects();
  const byKind = (kind: string): YamlObject[] => objects.filter(({ object }) => object.kind === kind).map(({ object }) => object);
  const name = (object: YamlObject): string => (object.metadata as YamlObject).name as string;
  const deployments = byKind('Deployment');
  t.same(deployments.map(name).sort(), ['justanalytics-api', 'justanalytics-collector']);
  const imageUser = (instructions(runtimeStage(), 'USER').at(-1)?.text ?? '').split(':');

  for (const deployment of deployments) {
    const spec = deployment.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
    t.ok(isSubset(spec.selector.matchLabels, spec.template.metadata.labels), `${name(deployment)}: its selector matches its pods`);
    const pod = podSpec(deployment);
    const security = pod.securityContext as { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number };
    t.equal(security.runAsNonRoot, true, `${name(deployment)}: runAsNonRoot`);
    t.same([String(security.runAsUser), String(security.runAsGroup)], imageUser, `${name(deployment)}: runs as the image's user`);
    const volumes = new Set((pod.volumes ?? []).map((volume) => volume.name));
    for (const container of pod.containers) {
      t.equal(container.image.split(':')[0], 'justanalytics', `${name(deployment)}: the image kustomization.yaml sets`);
      for (const mount of container.volumeMounts ?? []) t.ok(volumes.has(mount.name), `${name(deployment)}: volume ${mount.name} is defined`);
      const containerSecurity = (container as { securityContext?: { readOnlyRootFilesystem?: boolean } }).securityContext;
      if (containerSecurity?.readOnlyRootFilesystem) {
        t.ok(container.volumeMounts?.some((mount) => mount.mountPath === '/tmp'), `${name(deployment)}: /tmp is writable on a read-only root`);
      }
      const resources = (container as { resources?: { requests?: { cpu?: string; memory?: string } } }).resources;
      t.ok(resources?.requests?.cpu && resources.requests.memory, `${name(deployment)}: requests cpu and memory`);
      for (const variable of container.env ?? []) {
        const secret = variable.valueFrom?.secretKeyRef;
        if (!secret) continue;
        // The CloudNativePG operator names the app secret <cluster>-app, with the connection URI under `uri`.
        const cluster = readYamlDocuments('kubernetes/postgres-cloudnativepg.yaml').find((object) => object.kind === 'Cluster')!;
        t.equal(secret.name, `${name(cluster)}-app`, `${name(deployment)}: ${variable.name} comes from the CloudNativePG app secret`);
        t.equal(secret.key, 'uri');
      }
    }
  }

  for (const service of byKind('Service')) {
    const spec = service.spec as { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string | number }> };
    const targets = deployments.filter((deployment) => isSubset(spec.selector, (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels));
    t.equal(targets.length, 1, `Service ${name(service)} selects exactly one Deployment`);
    for (const port of spec.ports) {
      const containerPorts = targets.flatMap((deployment) => podSpec(deployment).containers.flatMap((container) => container.ports ?? []));
      t.ok(
        containerPorts.some((candidate) => candidate.name === port.targetPort || candidate.containerPort === port.targetPort),
        `Service ${name(service)}: targetPort ${port.targetPort} is a container port`,
      );
    }
  }

  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const target = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
    t.equal(target.kind, 'Deployment');
    t.ok(deployments.some((deployment) => name(deployment) === target.name), `HPA ${name(hpa)} scales Deployment ${target.name}, which exists`);
  }
  for (const pdb of byKind('PodDisruptionBudget')) {
    const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    t.ok(
      deployments.some((deployment) => isSubset(selector, (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels)),
      `PodDisruptionBudget ${name(pdb)} selects a Deployment`,
    );
  }

  const kustomization = readYaml('kubernetes/kustomization.yaml') as { resources: string[]; images: Array<{ name: string }> };
  t.same([...kustomization.resources].sort(), kubernetesFiles.map((file) => file.replace('kubernetes/', '')).sort(), 'kustomization lists the manifests');
  t.equal(kustomization.images[0]?.name, 'justanalytics');
});

function isSubset(small: Record<string, string>, large: Record<string, string>): boolean {
  return Object.keys(small).length > 0 && Object.entries(small).every(([key, value]) => large[key] === value);
}

t.test('compose: services, database URL, volumes and the balancer line up', async (t) => {
  for (const file of composeFiles) {
    const compose = readYaml(file);
    const services = composeServices(file);
    const declaredVolumes = new Set(Object.keys((compose.volumes ?? {}) as YamlObject));
    const postgres = Object.entries(services).find(([, service]) => String(service.image).startsWith('postgres:'));
    t.ok(postgres, `${file}: has PostgreSQL`);
    const [postgresName, postgresService] = postgres!;
    t.ok(Number(String(postgresService.image).split(':')[1]) >= 17, `${file}: a current PostgreSQL major`);
    t.ok((postgresService.volumes as string[]).includes('postgres-data:/var/lib/postgresql'), `${file}: PostgreSQL 18's data under a named volume`);
    const postgresEnv = postgresService.environment as Record<string, string>;

    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) t.ok(existsSync(join(repoRoot, 'deploy', source)), `${file}: ${name} mounts ${source}, which exists`);
        else t.ok(declaredVolumes.has(source), `${file}: ${name}'s volume ${source} is declared`);
      }
      for (const dependency of Object.keys((service.depends_on ?? {}) as YamlObject)) t.ok(services[dependency], `${file}: ${name} depends on ${dependency}, which exists`);
      const build = service.build as { context: string; dockerfile: string } | undefined;
      if (build) t.ok(existsSync(join(repoRoot, 'deploy', build.context, build.dockerfile)), `${file}: ${name} builds an existing Dockerfile`);
      if (!isJustAnalyticsService(file, service)) continue;
      const url = new URL((service.environment as Record<string, string>).DATABASE_URL!.replace(/\$\{\w+:-([^}]*)\}/g, '$1'));
      t.equal(url.hostname, postgresName, `${file}: ${name} connects to the PostgreSQL service`);
      t.equal(url.username, postgresEnv.POSTGRES_USER);
      t.equal(decodeURIComponent(url.password), postgresEnv.POSTGRES_PASSWORD!.replace(/\$\{\w+:-([^}]*)\}/g, '$1'));
      t.equal(url.pathname, `/${postgresEnv.POSTGRES_DB}`);
      t.ok(Object.keys((service.depends_on ?? {}) as YamlObject).length > 0, `${file}: ${name} waits for what it needs`);
    }
  }

  // The scale-out variant: two collectors behind nginx, which trusts nothing but itself as a proxy.
  const services = composeServices('compose.scale.yaml');
  const collectors = Object.entries(services).filter(([, service]) => (service.command as string[] | undefined)?.[0] === 'collect');
  t.equal(collectors.length, 1);
  const [collectorName, collector] = collectors[0]!;
  t.ok(((collector.deploy as { replicas: number }).replicas ?? 1) >= 2, 'two collectors or more');
  const collectorConfig = configOf({ where: collectorName, args: ['collect'], env: { ...imageDefaults().env, ...(collector.environment as Record<string, string>) }, ports: [], probes: [], mounts: [] });
  const nginx = readText('nginx/otlp-balancer.conf');
  const upstreams = Object.fromEntries([...nginx.matchAll(/upstream (\w+) \{[^}]*?server ([\w.-]+):(\d+)/g)].map((match) => [match[1]!, { host: match[2]!, port: Number(match[3]) }]));
  t.same(upstreams.otlp_http, { host: collectorName, port: collectorConfig.otlpHttpPort }, 'nginx sends OTLP/HTTP to the collectors\' OTLP/HTTP port');
  t.same(upstreams.otlp_grpc, { host: collectorName, port: collectorConfig.otlpGrpcPort }, 'nginx sends OTLP/gRPC to the collectors\' OTLP/gRPC port');
  t.match(nginx, /listen 4317;\s+http2 on;[\s\S]*grpc_pass grpc:\/\/otlp_grpc;/, 'gRPC is proxied per call over HTTP/2');
  t.match(nginx, /proxy_pass http:\/\/otlp_http;/);
  const [balancerName, balancer] = Object.entries(services).find(([, service]) => String(service.image).startsWith('nginx:'))!;
  const listens = [...nginx.matchAll(/listen (\d+);/g)].map((match) => Number(match[1]));
  const published = (balancer.ports as string[]).map((mapping) => Number(mapping.split(':').at(-1)));
  t.same(listens.sort(), published.sort(), `${balancerName} publishes the ports nginx listens on`);
  const balancerAddress = ((balancer.networks as YamlObject).default as { ipv4_address: string }).ipv4_address;
  t.same(collectorConfig.trustedProxies, [balancerAddress], 'collectors trust the balancer\'s X-Forwarded-For');
  const subnet = ((readYaml('compose.scale.yaml').networks as { default: { ipam: { config: Array<{ subnet: string }> } } }).default.ipam.config[0]!.subnet);
  t.ok(balancerAddress.startsWith(subnet.split('.').slice(0, 3).join('.') + '.'), 'the balancer\'s address is in the network');
  t.match(nginx, new RegExp(`client_max_body_size ${collectorConfig.maxRequestBytes / 1024 / 1024}m;`), 'nginx admits the largest request the collector does');
});

t.test('OpenTelemetry Collector configs: pipelines, queues and the export to JustAnalytics', async (t) => {
  const collectorService = kubernetesObjects().find(({ object }) => object.kind === 'Service' && (object.metadata as YamlObject).name === 'justanalytics-collector')!.object;
  const collectorProcess = deployedProcesses().find((process) => process.where.includes('kubernetes/collector.yaml'))!;
  const collectorConfig = configOf(collectorProcess);
  const collectorContainer = podSpec(kubernetesObjects().find(({ object }) => object.kind === 'Deployment' && (object.metadata as YamlObject).name === 'justanalytics-collector')!.object).containers[0]!;
  const grpcServicePort = (collectorService.spec as { ports: Array<{ port: number; targetPort: string }> }).ports.find((port) => {
    const container = collectorContainer.ports!.find((candidate) => candidate.name === port.targetPort)!;
    return container.containerPort === collectorConfig.otlpGrpcPort;
  })!;

  for (const file of otelcolFiles) {
    const config = readYaml(file) as {
      extensions?: YamlObject;
      receivers: YamlObject;
      processors?: YamlObject;
      exporters: Record<string, YamlObject>;
      service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
    };
    for (const extension of config.service.extensions ?? []) t.ok(config.extensions?.[extension] !== undefined, `${file}: extension ${extension} is defined`);
    for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
      for (const receiver of pipeline.receivers) t.ok(config.receivers[receiver] !== undefined, `${file}: ${name} receiver ${receiver} is defined`);
      for (const processor of pipeline.processors ?? []) t.ok(config.processors?.[processor] !== undefined, `${file}: ${name} processor ${processor} is defined`);
      for (const exporter of pipeline.exporters) t.ok(config.exporters[exporter] !== undefined, `${file}: ${name} exporter ${exporter} is defined`);
      t.equal((pipeline.processors ?? [])[0], 'memory_limiter', `${file}: ${name} limits memory first`);
    }
    const used = new Set(Object.values(config.service.pipelines).flatMap((pipeline) => pipeline.exporters));
    for (const [name, exporter] of Object.entries(config.exporters)) {
      t.ok(used.has(name), `${file}: exporter ${name} is used by a pipeline`);
      const [type] = name.split('/');
      if (type === 'otlp' || type === 'otlp_grpc') {
        // To JustAnalytics: its collectors' Service, the OTLP/gRPC port, the ingest key as a Bearer token.
        t.equal(exporter.endpoint, `${(collectorService.metadata as YamlObject).name}:${grpcServicePort.port}`, `${file}: ${name} sends to the collectors' OTLP/gRPC Service port`);
        const headers = exporter.headers as Record<string, string>;
        t.match(headers.authorization, /^Bearer \$\{env:[A-Z][A-Z0-9_]*\}$/, `${file}: ${name} sends the key as Authorization: Bearer`);
        t.equal(exporter.compression, 'gzip', 'gzip, which the gRPC receiver takes');
        const retry = exporter.retry_on_failure as { enabled: boolean };
        t.equal(retry.enabled, true, `${file}: ${name} retries`);
        const queue = exporter.sending_queue as { enabled: boolean; storage?: string };
        t.equal(queue.enabled, true);
        t.ok(queue.storage && config.service.extensions?.includes(queue.storage), `${file}: ${name} queues on disk through an enabled storage extension`);
        t.match(String(exporter.timeout), /^\d+s$/);
        t.ok(Number.parseInt(String(exporter.timeout), 10) > 30, `${file}: ${name} waits longer than a flush may take (30 s)`);
      } else if (type === 'loadbalancing' || type === 'load_balancing') {
        t.equal(exporter.routing_key, 'traceID', `${file}: ${name} routes by trace ID`);
        const sampler = readYaml('otelcol/tail-sampling/sampler.yaml') as { receivers: { otlp: { protocols: { grpc: { endpoint: string } } } } };
        const samplerPort = Number(sampler.receivers.otlp.protocols.grpc.endpoint.split(':').at(-1));
        t.equal((exporter.resolver as { dns: { port: number } }).dns.port, samplerPort, `${file}: ${name} sends to the samplers' OTLP/gRPC port`);
        t.ok((exporter.protocol as { otlp?: unknown }).otlp, 'over OTLP');
      } else {
        t.fail(`${file}: exporter ${name} of an unexpected type`);
      }
    }
  }
});
