// Fuzzes the parsing of the query API's parameters: parseDurationNs (any text
// gives a duration in int64 or null; Go notation and integers round-trip
// exactly), parseTime (any text gives a valid Date in range or null; unix ms
// and every ISO 8601 spelling name the same instant; impossible calendar days
// refused), timeRangeFrom (start < end or INVALID_ARGUMENT), attributeFilters
// (every attr.* string parameter becomes a filter), decodeTraceCursor (a
// cursor or InvalidCursorError; encode/decode exact) and attributeCandidates.
// A few hundred runs per property (FUZZ_RUNS to change); a failure prints the
// seed and path that replay it.
import t from 'tap';
import { runFuzzProperty } from '../../collector/test/fuzz/fuzz-settings.ts';
import { queryParamProperties } from './helpers/query-param-properties.ts';

for (const entry of queryParamProperties) {
  t.test(entry.name, async (t) => {
    const outcome = await runFuzzProperty(entry);
    t.equal(outcome.failure, null, `${outcome.runs} runs from seed ${outcome.seed}`);
  });
}
