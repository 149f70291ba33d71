import type { AnyValueJson, KeyValueJson } from '@justanalytics/collector/model';

const INT64 = /^-?(0|[1-9]\d{0,18})$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The OTLP/JSON values an attribute may hold for a filter `attr.KEY=VALUE` to
 * match: the string VALUE, or an int, double or bool whose text is VALUE.
 * Each one is a `[{key, value}]` array for jsonb containment (`@>`).
 */
export function attributeCandidates(key: string, text: string): KeyValueJson[][] {
  const values: AnyValueJson[] = [{ stringValue: text }];
  if (INT64.test(text)) {
    const n = BigInt(text);
    if (n >= INT64_MIN && n <= INT64_MAX) values.push({ intValue: text });
  }
  if (text === 'true' || text === 'false') values.push({ boolValue: text === 'true' });
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') {
    values.push({ doubleValue: text });
  } else if (text.trim() === text && text !== '') {
    // Only when the double prints back as VALUE, so "1.50" does not match 1.5.
    const n = Number(text);
    if (Number.isFinite(n) && String(n) === text) values.push({ doubleValue: n });
  }
  return values.map((value) => [{ key, value }]);
}
