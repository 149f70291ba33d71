// A small Dockerfile reader for the deploy tests: enough of the syntax that
// deploy/Dockerfile uses (line continuations, comments, ARG before FROM,
// stages, flags such as --from= and --mount=, JSON and shell forms), so the
// tests can check the file's instructions and replay its install steps.
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  /** `--name=value` flags before the arguments (`COPY --from=install`, `RUN --mount=…`). */
  flags: Record<string, string>;
  /** The rest of the line, continuations joined. */
  text: string;
  /** The JSON-array form's items, when the arguments are one. */
  json: string[] | null;
}

export interface Stage {
  name: string | null;
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function readDockerfile(path: string): Dockerfile {
  return parseDockerfile(readFileSync(path, 'utf8'));
}

export function parseDockerfile(source: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(source)) {
    const match = /^(\S+)\s*(.*)$/s.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    let rest = match[2]!;
    const flags: Record<string, string> = {};
    for (let flag = /^--([\w-]+)=(\S+)\s*/.exec(rest); flag; flag = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
      flags[flag[1]!] = flag[2]!;
      rest = rest.slice(flag[0].length);
    }
    const instruction: Instruction = { keyword, flags, text: rest, json: jsonForm(rest) };
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`cannot read FROM ${rest}`);
      stages.push({ name: from[2] ?? null, base: substitute(from[1]!, globalArgs), instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`${keyword} before FROM`);
      const [name, value = ''] = rest.split('=', 2);
      globalArgs[name!.trim()] = value.trim();
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** `ENV a=1 b=2` (or `ENV a 1`) as a record. */
export function envOf(instruction: Instruction): Record<string, string> {
  const env: Record<string, string> = {};
  const legacy = /^(\w+)\s+([^=]*)$/.exec(instruction.text);
  if (legacy) {
    env[legacy[1]!] = legacy[2]!.trim();
    return env;
  }
  for (const pair of instruction.text.match(/\w+=("[^"]*"|\S+)/g) ?? []) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** The instructions of a stage with this keyword. */
export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

function substitute(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => args[(braced ?? bare)!] ?? whole);
}

function jsonForm(text: string): string[] | null {
  if (!text.trimStart().startsWith('[')) return null;
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`not a JSON string array: ${text}`);
  return parsed;
}

/** Instructions one per entry: comments dropped, backslash continuations joined. */
function logicalLines(source: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of source.split('\n')) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === '')) continue;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1).trim()} `;
      continue;
    }
    lines.push(`${pending}${trimmed}`.trim());
    pending = '';
  }
  if (pending !== '') lines.push(pending.trim());
  return lines.filter((line) => line !== '');
}
