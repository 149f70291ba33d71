// Fuzzes the OTLP/JSON trace decoder (decodeSpanRows(…, 'json')):
// arbitrary JSON values, text and bytes, valid requests in every spelling the
// specification allows, and those requests mutated (wrong types, numbers as
// strings, huge integers, array-likes where bytes belong, deep nesting,
// invalid UTF-8, a BOM, truncation). Each property must hold: rows or a
// documented client error, never anything else; every row storable; decoded
// rows bounded by the body's size. A few hundred runs per property
// (FUZZ_RUNS to change); a failure prints the seed and path that replay it.
import t from 'tap';
import { jsonProperties } from './fuzz/decode-properties.ts';
import { runFuzzProperty } from './fuzz/fuzz-settings.ts';

for (const entry of jsonProperties) {
  t.test(entry.name, async (t) => {
    const outcome = await runFuzzProperty(entry);
    t.equal(outcome.failure, null, `${outcome.runs} runs from seed ${outcome.seed}`);
  });
}
