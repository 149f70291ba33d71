// Fuzzes the metrics decoder (decodeMetricRows) with random requests of every
// type, valid or not, and with damaged protobuf and OTLP/JSON: the properties
// are in fuzz/metrics-properties.ts, shared with `npm run fuzz`.
import t from 'tap';
import { metricsProperties } from './fuzz/metrics-properties.ts';
import { runFuzzProperty } from './fuzz/fuzz-settings.ts';

for (const entry of metricsProperties) {
  t.test(entry.name, async (t) => {
    const outcome = await runFuzzProperty(entry);
    t.equal(outcome.failure, null, `${outcome.runs} runs from seed ${outcome.seed}`);
  });
}
