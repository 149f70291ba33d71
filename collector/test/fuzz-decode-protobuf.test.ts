// Fuzzes the OTLP protobuf trace decoder (decodeSpanRows(…, 'protobuf')):
// arbitrary bytes, schemaless wire-format fields, valid requests built from
// arbitrary spans and attributes, and those requests mutated (bit flips,
// truncation, splices, blown-up length prefixes). Each property must hold:
// rows or a documented client error, never anything else; every row storable;
// decoded rows bounded by the body's size. A few hundred runs per property
// (FUZZ_RUNS to change); a failure prints the seed and path that replay it.
import t from 'tap';
import { protobufProperties } from './fuzz/decode-properties.ts';
import { runFuzzProperty } from './fuzz/fuzz-settings.ts';

for (const entry of protobufProperties) {
  t.test(entry.name, async (t) => {
    const outcome = await runFuzzProperty(entry);
    t.equal(outcome.failure, null, `${outcome.runs} runs from seed ${outcome.seed}`);
  });
}
