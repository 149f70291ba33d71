/** A value as the API returns it: a JSON number, or the strings "NaN", "Infinity" and "-Infinity" JSON has no number for. */
export type JsonValue = number | 'NaN' | 'Infinity' | '-Infinity';

export function jsonValue(value: number): JsonValue {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/** One point of a result series: unix milliseconds of the step's start, and the step's value. */
export type StepPoint = [number, JsonValue];
