// Long fuzzing run of the properties that `npm test` runs a few hundred times
// each: the OTLP protobuf and OTLP/JSON trace and metrics decoders (arbitrary
// input, mutated valid requests, JSON vs protobuf differential) and the query
// API's parameter parsing. Same property definitions as the tests
// (collector/test/fuzz/, backend/test/helpers/query-param-properties.ts).
//
//   npm run fuzz                               every property, 100,000 runs each
//   FUZZ_RUNS=5000 npm run fuzz -- json        properties whose name has "json"
//   FUZZ_SEED=… FUZZ_PATH=… npm run fuzz -- "<name>"   replay a reported failure
//
// Every failure is printed with its seed, path and input; a crash found here
// becomes a named case in collector/test/fuzz-regressions.test.ts (or
// backend/test/fuzz-regressions.test.ts). Exits 1 when any property failed.
import { decodeProperties } from '../collector/test/fuzz/decode-properties.ts';
import { metricsProperties } from '../collector/test/fuzz/metrics-properties.ts';
import { runFuzzProperty, type FuzzProperty } from '../collector/test/fuzz/fuzz-settings.ts';
import { queryParamProperties } from '../backend/test/helpers/query-param-properties.ts';

const DEFAULT_RUNS = '100000';
const env = { ...process.env, FUZZ_RUNS: process.env.FUZZ_RUNS || DEFAULT_RUNS };
const filters = process.argv.slice(2).map((filter) => filter.toLowerCase());
const all: FuzzProperty[] = [...decodeProperties, ...metricsProperties, ...queryParamProperties];
const selected = filters.length === 0 ? all : all.filter((entry) => filters.some((filter) => entry.name.toLowerCase().includes(filter)));
if (selected.length === 0) {
  process.stderr.write(`no property matches ${filters.join(', ')}; properties:\n${all.map((entry) => `  ${entry.name}`).join('\n')}\n`);
  process.exit(2);
}

let failed = 0;
const started = performance.now();
for (const entry of selected) {
  process.stdout.write(`… ${entry.name}\n`);
  const begun = performance.now();
  const outcome = await runFuzzProperty(entry, env);
  const seconds = ((performance.now() - begun) / 1000).toFixed(1);
  if (outcome.failure === null) {
    process.stdout.write(`ok ${outcome.runs} runs, seed ${outcome.seed}, ${seconds} s\n`);
  } else {
    failed++;
    process.stdout.write(`FAILED after ${seconds} s\n${outcome.failure}\n`);
  }
}
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
process.stdout.write(`\n${selected.length - failed} passed, ${failed} failed (${minutes} min)\n`);
process.exitCode = failed === 0 ? 0 : 1;
