// Turns a decoded AnyValue back into the plain JS value OpenTelemetry JS was
// given, so tests can compare against the attributes the SDK recorded.
import { int64ToBigInt } from '../../src/index.ts';
import type { IAnyValue, IKeyValue } from '../../src/index.ts';

export type Plain = string | number | bigint | boolean | Uint8Array | null | Plain[] | { [key: string]: Plain };

export function anyValueToJs(value: IAnyValue | null): Plain {
  if (value === null) return null;
  switch (value.value) {
    case 'stringValue': return value.stringValue!;
    case 'boolValue': return value.boolValue!;
    case 'intValue': {
      const exact = int64ToBigInt(value.intValue!);
      return Number.isSafeInteger(Number(exact)) ? Number(exact) : exact;
    }
    case 'doubleValue': return value.doubleValue!;
    case 'bytesValue': return new Uint8Array(value.bytesValue!);
    case 'arrayValue': return value.arrayValue!.values.map(anyValueToJs);
    case 'kvlistValue': return keyValuesToJs(value.kvlistValue!.values);
    case undefined: return null;
  }
}

export function keyValuesToJs(list: IKeyValue[]): { [key: string]: Plain } {
  const out: { [key: string]: Plain } = {};
  for (const kv of list) out[kv.key] = anyValueToJs(kv.value);
  return out;
}
