// Replays deploy/Dockerfile's stages into directories of this machine, as far
// as that can be done without a container engine: COPY from the build context
// (the repository) and from an earlier stage, and the install stage's RUN
// steps executed with its ARGs in the environment, as the builder runs them.
// The runtime stage's RUN steps change the image's root (`/data`), so they are
// returned for the caller to check, never run here.
import { execFile } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { envOf, type Dockerfile, type Instruction } from './dockerfile.ts';

export interface ReplayedStage {
  /** The stage's WORKDIR on this machine. */
  dir: string;
  env: Record<string, string>;
  user: string | null;
  /** RUN steps left for the caller (the runtime stage's). */
  skippedRuns: Instruction[];
}

export interface ReplayOptions {
  /** The build context: the repository root. */
  context: string;
  /** Where each stage's root is made: `${root}/<stage index>`. */
  root: string;
  /** Build arguments overriding ARG defaults. */
  buildArgs?: Record<string, string>;
  /** Extra environment for RUN steps (npm's cache settings). */
  runEnv?: Record<string, string>;
}

export async function replayImage(file: Dockerfile, { context, root, buildArgs = {}, runEnv = {} }: ReplayOptions): Promise<ReplayedStage[]> {
  const stages: ReplayedStage[] = [];
  for (const [index, stage] of file.stages.entries()) {
    const stageRoot = join(root, String(index));
    let workdir = '/';
    const args: Record<string, string> = {};
    const env: Record<string, string> = {};
    let user: string | null = null;
    const skippedRuns: Instruction[] = [];
    const local = (path: string): string => join(stageRoot, path.startsWith('/') ? path : join(workdir, path));
    const last = index === file.stages.length - 1;
    for (const instruction of stage.instructions) {
      switch (instruction.keyword) {
        case 'WORKDIR':
          workdir = instruction.text;
          await mkdir(local('.'), { recursive: true });
          break;
        case 'ARG': {
          const [name, value = ''] = instruction.text.split('=', 2);
          args[name!] = buildArgs[name!] ?? value;
          break;
        }
        case 'ENV':
          Object.assign(env, envOf(instruction));
          break;
        case 'USER':
          user = instruction.text;
          break;
        case 'COPY': {
          const parts = instruction.text.split(/\s+/);
          const dest = parts.pop()!;
          const from = instruction.flags.from;
          const sourceStage = from === undefined ? null : stages[file.stages.findIndex((candidate) => candidate.name === from)];
          if (from !== undefined && !sourceStage) throw new Error(`COPY --from=${from}: no such earlier stage`);
          for (const source of parts) {
            const sourcePath = sourceStage ? join(root, String(file.stages.findIndex((candidate) => candidate.name === from)), source) : join(context, source);
            const into = dest.endsWith('/') || parts.length > 1 ? join(local(dest), basename(source)) : local(dest);
            await cp(sourcePath, into, { recursive: true, verbatimSymlinks: true });
          }
          break;
        }
        case 'RUN':
          if (last) skippedRuns.push(instruction);
          else await sh(instruction.text, local('.'), { ...runEnv, ...args, ...env });
          break;
        default:
          // EXPOSE, VOLUME, HEALTHCHECK, ENTRYPOINT, CMD: metadata, checked by the tests.
          break;
      }
    }
    stages.push({ dir: local('.'), env, user, skippedRuns });
  }
  return stages;
}

/**
 * How this machine reaches the registry (its CA bundle, its proxies): the
 * network's settings, not the image's, which a builder would have of its own.
 */
const NETWORK_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

function sh(script: string, cwd: string, env: Record<string, string>): Promise<void> {
  const network = Object.fromEntries(NETWORK_VARIABLES.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
  return new Promise((resolve, reject) => {
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...network };
    execFile('sh', ['-c', script], { cwd, env: { ...base, ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`RUN ${script} failed: ${stderr}`, { cause: error }));
      else resolve();
    });
  });
}
