// Differential fuzzing of the two trace decoders: a valid request built from
// arbitrary spans and attributes, encoded as OTLP/JSON (in a random allowed
// spelling) and as protobuf (by a hand-written wire encoder, not protobufjs),
// decodes to the same rows and the same rejections both ways, including
// attribute values nested deeper than the decoders accept (refused alike).
import t from 'tap';
import { differentialProperties } from './fuzz/decode-properties.ts';
import { runFuzzProperty } from './fuzz/fuzz-settings.ts';

for (const entry of differentialProperties) {
  t.test(entry.name, async (t) => {
    const outcome = await runFuzzProperty(entry);
    t.equal(outcome.failure, null, `${outcome.runs} runs from seed ${outcome.seed}`);
  });
}
