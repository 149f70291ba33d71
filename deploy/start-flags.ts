import { readFileSync } from 'node:fs';

/**
 * The Node flags `npm start` runs the server with (package.json's start
 * script, the one place they are set): the image's entrypoint must carry the
 * same (deploy/test), and the benchmarks start the server with them.
 */
export function npmStartNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const flags = /^node ((?:--\S+ )*)backend\/bin\/justanalytics\.js serve$/.exec(start)?.[1];
  if (flags === undefined) throw new Error(`npm start is not "node [--flag …] backend/bin/justanalytics.js serve": ${start}`);
  return flags.split(' ').filter(Boolean);
}
