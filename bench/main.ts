// `npm run bench -- <phase>`: ingest (the default: spans, logs and metrics), logs, metrics, or query.
const phases: Record<string, string> = { ingest: './ingest.ts', logs: './ingest.ts', metrics: './ingest.ts', query: './query.ts' };
const phase = process.argv[2] ?? 'ingest';
const module = phases[phase];
if (module === undefined) {
  console.error(`unknown benchmark "${phase}": choose one of ${Object.keys(phases).join(', ')}`);
  process.exit(2);
}
await import(module);
