// `npm run bench -- <phase>`: ingest (the default: spans, logs, metrics and track), logs, metrics, track, rollups (analytics rollups), query, or soak (10 minutes of every signal at once: the server's memory).
const phases: Record<string, string> = { ingest: './ingest.ts', logs: './ingest.ts', metrics: './ingest.ts', track: './ingest.ts', rollups: './analytics-rollups.ts', query: './query.ts', soak: './soak.ts' };
const phase = process.argv[2] ?? 'ingest';
const module = phases[phase];
if (module === undefined) {
  console.error(`unknown benchmark "${phase}": choose one of ${Object.keys(phases).join(', ')}`);
  process.exit(2);
}
await import(module);
