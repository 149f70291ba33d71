// Reads every deploy file and lists the JustAnalytics processes they describe
// (the image's default, each compose service and each Kubernetes container
// that runs the image): arguments, environment, ports, probes and mounts, so
// tests can check them against the real command, configuration and server.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { envOf, instructions, readDockerfile, type Dockerfile, type Stage } from './dockerfile.ts';

export const deployDir = new URL('../../', import.meta.url).pathname;
export const repoRoot = join(deployDir, '..');

export interface Probe {
  /** `HEALTHCHECK`, `livenessProbe`, … */
  kind: string;
  /** An HTTP path, or null for the image's healthcheck command (deploy/healthcheck.ts). */
  path: string | null;
  /** The container port it asks (null for the healthcheck command, which finds its port). */
  port: number | null;
}

export interface DeployedProcess {
  /** Where it is described, for messages. */
  where: string;
  /** Arguments of `justanalytics` (the image's CMD when the file gives none). */
  args: string[];
  /** Environment as the file gives it over the image's ENV; a value from a secret is `<secret name/key>`. */
  env: Record<string, string>;
  /** Container ports it publishes or declares. */
  ports: number[];
  probes: Probe[];
  /** Container paths backed by volumes. */
  mounts: string[];
}

export type YamlObject = Record<string, unknown>;

export function readText(relative: string): string {
  return readFileSync(join(deployDir, relative), 'utf8');
}

export function readYaml(relative: string): YamlObject {
  return parseYaml(readText(relative)) as YamlObject;
}

/** Every document of a multi-document YAML file. */
export function readYamlDocuments(relative: string): YamlObject[] {
  return parseAllDocuments(readText(relative)).map((document) => {
    if (document.errors.length > 0) throw new Error(`${relative}: ${document.errors[0]!.message}`);
    return document.toJS() as YamlObject;
  });
}

/** Every file under deploy/ (relative paths), tests and their helpers left out. */
export function deployFiles(dir = ''): string[] {
  return readdirSync(join(deployDir, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) return relative === 'test' ? [] : deployFiles(relative);
    return [relative];
  });
}

export function dockerfile(): Dockerfile {
  return readDockerfile(join(deployDir, 'Dockerfile'));
}

export function runtimeStage(file = dockerfile()): Stage {
  return file.stages.at(-1)!;
}

/** What the image gives every container: its CMD, ENV, EXPOSE, VOLUME and HEALTHCHECK. */
export function imageDefaults(): DeployedProcess {
  const stage = runtimeStage();
  const cmd = instructions(stage, 'CMD').at(-1)?.json;
  if (!cmd) throw new Error('the Dockerfile has no JSON-form CMD');
  const env = Object.assign({}, ...instructions(stage, 'ENV').map(envOf)) as Record<string, string>;
  const ports = instructions(stage, 'EXPOSE').flatMap((instruction) => instruction.text.split(/\s+/).map((port) => Number(port.split('/')[0])));
  const mounts = instructions(stage, 'VOLUME').flatMap((instruction) => instruction.json ?? instruction.text.split(/\s+/));
  const probes: Probe[] = instructions(stage, 'HEALTHCHECK').map(() => ({ kind: 'HEALTHCHECK', path: null, port: null }));
  return { where: 'deploy/Dockerfile (the image)', args: cmd, env, ports, probes, mounts };
}

export const composeFiles = ['compose.yaml', 'compose.scale.yaml'];

/** A compose file's services with `extends` (same directory) resolved. */
export function composeServices(file: string): Record<string, YamlObject> {
  const services = (readYaml(file).services ?? {}) as Record<string, YamlObject>;
  const resolved: Record<string, YamlObject> = {};
  for (const [name, service] of Object.entries(services)) {
    const base = service.extends as { file?: string; service: string } | undefined;
    resolved[name] = base ? { ...composeServices(base.file ?? file)[base.service], ...service } : service;
  }
  return resolved;
}

/** A compose service runs JustAnalytics when it builds deploy/Dockerfile or uses the image a service builds. */
export function isJustAnalyticsService(file: string, service: YamlObject): boolean {
  const images = Object.values(composeServices(file))
    .filter((other) => other.build !== undefined)
    .map((other) => other.image);
  return service.build !== undefined || images.includes(service.image);
}

export function composeProcesses(): DeployedProcess[] {
  const image = imageDefaults();
  const processes: DeployedProcess[] = [];
  for (const file of composeFiles) {
    for (const [name, service] of Object.entries(composeServices(file))) {
      if (!isJustAnalyticsService(file, service)) continue;
      const command = service.command as string[] | string | undefined;
      if (typeof command === 'string') throw new Error(`${file}: ${name}: give command as a list`);
      const healthcheck = service.healthcheck as YamlObject | undefined;
      processes.push({
        where: `deploy/${file}: services.${name}`,
        args: command ?? image.args,
        env: { ...image.env, ...stringRecord(service.environment) },
        ports: ((service.ports ?? []) as string[]).map((mapping) => Number(String(mapping).split(':').at(-1)!.split('/')[0])),
        probes: healthcheck ? [{ kind: 'healthcheck', path: null, port: null }] : image.probes,
        mounts: [...image.mounts, ...((service.volumes ?? []) as string[]).map((volume) => String(volume).split(':')[1]!)],
      });
    }
  }
  return processes;
}

export const kubernetesFiles = ['kubernetes/collector.yaml', 'kubernetes/api.yaml'];

export function kubernetesObjects(): Array<{ file: string; object: YamlObject }> {
  return kubernetesFiles.flatMap((file) => readYamlDocuments(file).map((object) => ({ file, object })));
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  startupProbe?: { httpGet?: { path: string; port: number | string } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export function podSpec(deployment: YamlObject): { containers: Container[]; volumes?: Array<{ name: string }>; securityContext?: YamlObject } {
  return ((deployment.spec as YamlObject).template as YamlObject).spec as never;
}

export function kubernetesProcesses(): DeployedProcess[] {
  const image = imageDefaults();
  const processes: DeployedProcess[] = [];
  for (const { file, object } of kubernetesObjects()) {
    if (object.kind !== 'Deployment') continue;
    const name = (object.metadata as YamlObject).name as string;
    for (const container of podSpec(object).containers) {
      if (container.command !== undefined) throw new Error(`${file}: ${name}: give args, not command (the image's entrypoint is the justanalytics command)`);
      const portOf = (port: number | string): number => {
        if (typeof port === 'number') return port;
        const named = container.ports?.find((candidate) => candidate.name === port);
        if (!named) throw new Error(`${file}: ${name}: probe port "${port}" names no container port`);
        return named.containerPort;
      };
      const env: Record<string, string> = { ...image.env };
      for (const variable of container.env ?? []) {
        const secret = variable.valueFrom?.secretKeyRef;
        env[variable.name] = secret ? `<secret ${secret.name}/${secret.key}>` : String(variable.value ?? '');
      }
      const probes: Probe[] = [];
      for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const httpGet = container[kind]?.httpGet;
        if (httpGet) probes.push({ kind, path: httpGet.path, port: portOf(httpGet.port) });
      }
      processes.push({
        where: `deploy/${file}: ${name}/${container.name}`,
        args: container.args ?? image.args,
        env,
        ports: (container.ports ?? []).map((port) => port.containerPort),
        probes,
        mounts: (container.volumeMounts ?? []).map((mount) => mount.mountPath),
      });
    }
  }
  return processes;
}

/** Every JustAnalytics process the deploy files describe. */
export function deployedProcesses(): DeployedProcess[] {
  return [imageDefaults(), ...composeProcesses(), ...kubernetesProcesses()];
}

export const otelcolFiles = ['otelcol/gateway.yaml', 'otelcol/tail-sampling/load-balancer.yaml', 'otelcol/tail-sampling/sampler.yaml'];

function stringRecord(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((item) => String(item).split(/=(.*)/s, 2) as [string, string]));
  }
  return Object.fromEntries(Object.entries(value as YamlObject).map(([key, item]) => [key, String(item)]));
}
