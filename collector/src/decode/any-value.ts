import { int64ToString } from '@justanalytics/proto';
import type { IAnyValue, IKeyValue } from '@justanalytics/proto';
import type { AnyValueJson, KeyValueJson } from '../model/otlp-json.ts';
import type { DecodeLimits } from './decode-limits.ts';
import { bytesToBase64 } from './id-bytes.ts';
import { sanitizeString } from './sanitize-string.ts';

/** Attributes in OTLP/JSON form, and how many past the limit were left out. */
export interface LimitedAttributes {
  attributes: KeyValueJson[];
  dropped: number;
}

/**
 * Turns decoded attributes into their OTLP/JSON form under the decode
 * limits: past maxAttributes they are dropped (counted, for the item's
 * dropped_attributes_count); a value with more than maxValueItems items or
 * nested deeper than maxValueDepth makes the whole list unusable, since OTLP
 * has no way to say a value was cut. Every string is made storable.
 *
 * The recursion is bounded twice: by maxValueDepth here, and before that by
 * protobufjs, which refuses messages nested more than 100 levels (in decode
 * and fromObject alike).
 */
export class AttributeConverter {
  readonly #limits: DecodeLimits;
  /** Why the last call returned null: a partial_success reason. */
  problem = '';

  constructor(limits: DecodeLimits) {
    this.#limits = limits;
  }

  /** The attributes kept, or null when one of them holds a value past the limits (the reason in `problem`). */
  attributes(list: readonly IKeyValue[]): LimitedAttributes | null {
    const kept = Math.min(list.length, this.#limits.maxAttributes);
    const attributes = this.#keyValues(list, kept, 1);
    return attributes === null ? null : { attributes, dropped: list.length - kept };
  }

  /**
   * A value that stands alone (a log record's body: level 1, as an
   * attribute's value), {} when it has no member set, or null when it is past
   * the limits (the reason in `problem`).
   */
  value(value: IAnyValue): AnyValueJson | null {
    return this.#value(value, 1);
  }

  #keyValues(list: readonly IKeyValue[], count: number, depth: number): KeyValueJson[] | null {
    const out = new Array<KeyValueJson>(count);
    for (let i = 0; i < count; i++) {
      const kv = list[i] as IKeyValue;
      // A key-value with no value at all has no level of value either.
      const value = kv.value === null ? {} : this.#value(kv.value, depth);
      if (value === null) return null;
      out[i] = { key: sanitizeString(kv.key), value };
    }
    return out;
  }

  /**
   * One AnyValue in OTLP/JSON form: int64 as an exact decimal string, bytes as
   * base64, the non-finite doubles as the strings proto3 JSON uses, and an
   * AnyValue with no member set as {}.
   */
  #value(value: IAnyValue, depth: number): AnyValueJson | null {
    if (depth > this.#limits.maxValueDepth) {
      this.problem = `attribute value nested more than ${this.#limits.maxValueDepth} levels deep`;
      return null;
    }
    switch (value.value) {
      case 'stringValue':
        return { stringValue: sanitizeString(value.stringValue ?? '') };
      case 'boolValue':
        return { boolValue: value.boolValue === true };
      case 'intValue':
        return { intValue: value.intValue === undefined ? '0' : int64ToString(value.intValue) };
      case 'doubleValue':
        return { doubleValue: doubleToJson(value.doubleValue ?? 0) };
      case 'bytesValue':
        // From OTLP/JSON, fromObject passes anything but a base64 string
        // through as is: {"length": 1e9} would become a gigabyte here.
        if (!(value.bytesValue instanceof Uint8Array)) {
          this.problem = 'invalid bytes_value (a base64 string required)';
          return null;
        }
        return { bytesValue: bytesToBase64(value.bytesValue) };
      case 'arrayValue': {
        const values = value.arrayValue?.values ?? [];
        if (values.length > this.#limits.maxValueItems) return this.#tooManyItems();
        const out = new Array<AnyValueJson>(values.length);
        for (let i = 0; i < values.length; i++) {
          const item = this.#value(values[i] as IAnyValue, depth + 1);
          if (item === null) return null;
          out[i] = item;
        }
        return { arrayValue: { values: out } };
      }
      case 'kvlistValue': {
        const values = value.kvlistValue?.values ?? [];
        if (values.length > this.#limits.maxValueItems) return this.#tooManyItems();
        const out = this.#keyValues(values, values.length, depth + 1);
        return out === null ? null : { kvlistValue: { values: out } };
      }
      default:
        return {};
    }
  }

  #tooManyItems(): null {
    this.problem = `attribute value with more than ${this.#limits.maxValueItems} array items or kvlist entries`;
    return null;
  }
}

/** OTLP's dropped counts are uint32: what is dropped here is added, up to the most a uint32 holds. */
export function addDropped(count: number, dropped: number): number {
  return Math.min(count + dropped, 0xffff_ffff);
}

/** A double in proto3 JSON form: a number, or the string spelling NaN or ±Infinity. */
export function doubleToJson(value: number): number | 'NaN' | 'Infinity' | '-Infinity' {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}
