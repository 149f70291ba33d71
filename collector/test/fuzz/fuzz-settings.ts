// How many runs a property gets and from which seed, shared by the tap tests
// (a few hundred runs) and `npm run fuzz` (FUZZ_RUNS, many more). A failure
// names the seed and path that replay it exactly.
import fc from 'fast-check';

/** A named property, defined once and run by both the tests and the fuzz script. */
export interface FuzzProperty {
  name: string;
  /** Runs in `npm test`, unless FUZZ_RUNS says otherwise. */
  runs: number;
  property: fc.IProperty<never> | fc.IAsyncProperty<never>;
}

/** Declares a property with its default number of runs. */
export function fuzzProperty<Ts extends [unknown, ...unknown[]]>(
  name: string,
  runs: number,
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
): FuzzProperty {
  return { name, runs, property: property as unknown as FuzzProperty['property'] };
}

/**
 * fast-check parameters from the environment: FUZZ_RUNS (runs per property),
 * FUZZ_SEED and FUZZ_PATH (replay one failure). Without FUZZ_SEED each run
 * draws a fresh seed, and a failure prints it.
 */
export function fuzzParameters(defaultRuns: number, env: NodeJS.ProcessEnv = process.env): fc.Parameters<unknown> {
  const parameters: fc.Parameters<unknown> = { numRuns: positiveInteger(env.FUZZ_RUNS) ?? defaultRuns };
  const seed = env.FUZZ_SEED === undefined || env.FUZZ_SEED === '' ? undefined : Number(env.FUZZ_SEED);
  if (seed !== undefined) {
    if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got "${env.FUZZ_SEED}"`);
    parameters.seed = seed;
    if (env.FUZZ_PATH) parameters.path = env.FUZZ_PATH;
  }
  return parameters;
}

export interface FuzzOutcome {
  name: string;
  runs: number;
  seed: number;
  /** Null when the property held; otherwise the report, with the command line that replays it. */
  failure: string | null;
}

/** Runs one property; never throws for a failing property (the outcome says). */
export async function runFuzzProperty(entry: FuzzProperty, env: NodeJS.ProcessEnv = process.env): Promise<FuzzOutcome> {
  const parameters = fuzzParameters(entry.runs, env);
  const details = await fc.check(entry.property as fc.IAsyncProperty<never>, parameters);
  const runs = parameters.numRuns ?? entry.runs;
  if (!details.failed) return { name: entry.name, runs, seed: details.seed, failure: null };
  const report = fc.defaultReportMessage(details) ?? 'property failed';
  const error = details.errorInstance instanceof Error ? `\nGot error: ${details.errorInstance.message}` : '';
  const replay = `replay with: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? ''} (same FUZZ_RUNS)`;
  return { name: entry.name, runs, seed: details.seed, failure: `${entry.name}${error}\n${report}\n${replay}` };
}

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`FUZZ_RUNS must be a positive integer, got "${text}"`);
  return n;
}
