// What must hold of every decode, whatever the input: it returns rows or throws
// a documented client error; every row is storable; the decoded rows are at
// most a constant times the body (no small body makes a huge allocation).
import { classifyError, decodeSpanRows } from '@justanalytics/collector';
import type { DecodedRows, OtlpEncoding, SpanRow } from '@justanalytics/collector';

const INT64_LIMIT = 2n ** 63n;
const UINT32_MAX = 0xffff_ffff;
const SMALLINT_MAX = 32767;
const DECIMAL_UINT64 = /^\d{1,20}$/;
const HEX = /^(?:[0-9a-f]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decoded rows weigh at most this many units per body byte (plus a constant).
 * The worst honest protobuf input is a span of empty links (2 bytes each on
 * the wire, about 100 units each once decoded); anything far beyond means a
 * small body can make the collector allocate without bound.
 */
export const MAX_WEIGHT_PER_BODY_BYTE = 100;
export const WEIGHT_ALLOWANCE = 4096;

export type DecodeOutcome = { decoded: DecodedRows<SpanRow> } | { error: Error };

/**
 * Decodes, and throws (failing the property) when the decoder throws anything
 * but a documented client error: MalformedRequestError, or a receiver error
 * of a client kind such as too_large once request limits are in place.
 */
export function decodeChecked(body: Buffer, encoding: OtlpEncoding, siteId = '1'): DecodeOutcome {
  let decoded: DecodedRows<SpanRow>;
  try {
    decoded = decodeSpanRows(body, encoding, siteId);
  } catch (error) {
    if (!isDocumentedClientError(error)) {
      throw new Error(`decoding threw an undocumented error: ${describe(error)}`, { cause: error });
    }
    return { error: error as Error };
  }
  return { decoded };
}

/** Errors the receivers answer as a permanent client error (4xx, not 500). */
export function isDocumentedClientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const classified = classifyError(error);
  return classified.kind !== 'internal' && classified.retryAfterSeconds === null;
}

/** The full check of one decode: documented errors only, storable rows, bounded weight, consistent counts. */
export function checkDecode(body: Buffer, encoding: OtlpEncoding): DecodeOutcome {
  try {
    return checkDecodeOf(body, encoding);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${encoding} body: ${bodyText(body, encoding)}`, { cause: error });
  }
}

/** The body for a failure report: JSON as text when it is valid UTF-8, anything else as hex; long ones cut. */
export function bodyText(body: Buffer, encoding: OtlpEncoding, limit = 4096): string {
  const cut = body.length > limit ? ` … (${body.length} bytes)` : '';
  const head = body.subarray(0, limit);
  if (encoding === 'json' && head.toString('utf8').isWellFormed() && !head.toString('utf8').includes('\ufffd')) return `${JSON.stringify(head.toString('utf8'))}${cut}`;
  return `hex ${head.toString('hex')}${cut}`;
}

function checkDecodeOf(body: Buffer, encoding: OtlpEncoding): DecodeOutcome {
  const outcome = decodeChecked(body, encoding);
  if ('error' in outcome) return outcome;
  const { rows, rejected, message } = outcome.decoded;
  if (!Number.isSafeInteger(rejected) || rejected < 0) throw new Error(`rejected is ${rejected}`);
  if ((rejected === 0) !== (message === '')) throw new Error(`rejected ${rejected} with message ${JSON.stringify(message)}`);
  rows.forEach((row, index) => {
    const problems = rowProblems(row);
    if (problems.length > 0) throw new Error(`row ${index} cannot be stored: ${problems.join('; ')}`);
  });
  const weight = rowsWeight(rows);
  const bound = MAX_WEIGHT_PER_BODY_BYTE * body.length + WEIGHT_ALLOWANCE;
  if (weight > bound) throw new Error(`a ${body.length}-byte body decoded to rows of weight ${weight} (bound ${bound})`);
  return outcome;
}

/** Why a row could not be stored as it is, or [] when it can. */
export function rowProblems(row: SpanRow): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  need(isId(row.traceId, 16), `traceId ${hexOf(row.traceId)} is not 16 bytes, not all zero`);
  need(isId(row.spanId, 8), `spanId ${hexOf(row.spanId)} is not 8 bytes, not all zero`);
  need(row.parentSpanId === null || isId(row.parentSpanId, 8), `parentSpanId ${hexOf(row.parentSpanId)} is neither null nor 8 bytes, not all zero`);
  need(inInt64(row.startTimeUnixNano), `startTimeUnixNano ${String(row.startTimeUnixNano)} is not a bigint in [0, 2^63)`);
  need(inInt64(row.endTimeUnixNano), `endTimeUnixNano ${String(row.endTimeUnixNano)} is not a bigint in [0, 2^63)`);
  need(isSmallint(row.kind), `kind ${row.kind} is not a smallint >= 0`);
  need(isSmallint(row.statusCode), `statusCode ${row.statusCode} is not a smallint >= 0`);
  for (const [name, value] of [
    ['flags', row.flags],
    ['droppedAttributesCount', row.droppedAttributesCount],
    ['droppedEventsCount', row.droppedEventsCount],
    ['droppedLinksCount', row.droppedLinksCount],
  ] as const) {
    need(isUint32(value), `${name} ${value} is not a uint32`);
  }
  need(row.httpStatusCode === null || (Number.isInteger(row.httpStatusCode) && row.httpStatusCode >= 100 && row.httpStatusCode <= 999), `httpStatusCode ${row.httpStatusCode}`);
  need(row.serviceName !== '', 'serviceName is empty');
  for (const event of row.events) {
    need(DECIMAL_UINT64.test(event.timeUnixNano) && BigInt(event.timeUnixNano) < 2n ** 64n, `event time ${event.timeUnixNano}`);
    need(isUint32(event.droppedAttributesCount), `event droppedAttributesCount ${event.droppedAttributesCount}`);
  }
  for (const link of row.links) {
    need(HEX.test(link.traceId) && HEX.test(link.spanId), `link IDs ${link.traceId}/${link.spanId} are not lowercase hex`);
    need(isUint32(link.flags) && isUint32(link.droppedAttributesCount), `link flags ${link.flags}/${link.droppedAttributesCount}`);
  }
  visitStrings(row, (text, path) => {
    if (text.includes('\u0000')) problems.push(`${path} holds NUL`);
    if (!text.isWellFormed()) problems.push(`${path} holds a lone surrogate`);
  });
  visitAnyValues(row, (value, path) => {
    const keys = Object.keys(value);
    if (keys.length > 1) problems.push(`${path} has several members: ${keys.join(', ')}`);
    const v = value as Record<string, unknown>;
    if ('intValue' in v && !(typeof v.intValue === 'string' && /^-?\d{1,19}$/.test(v.intValue) && inSignedInt64(BigInt(v.intValue)))) {
      problems.push(`${path}.intValue ${String(v.intValue)} is not an int64`);
    }
    if ('doubleValue' in v && !(typeof v.doubleValue === 'number' ? Number.isFinite(v.doubleValue) : ['NaN', 'Infinity', '-Infinity'].includes(v.doubleValue as string))) {
      problems.push(`${path}.doubleValue ${String(v.doubleValue)}`);
    }
    if ('bytesValue' in v && !(typeof v.bytesValue === 'string' && BASE64.test(v.bytesValue))) problems.push(`${path}.bytesValue is not base64`);
    if ('boolValue' in v && typeof v.boolValue !== 'boolean') problems.push(`${path}.boolValue is not a boolean`);
  });
  return problems;
}

/**
 * A rough size of decoded rows: string and byte lengths, 8 per number, 16 per
 * object or array plus 8 per entry. Objects shared between rows (resource,
 * scope) count once.
 */
export function rowsWeight(rows: readonly SpanRow[]): number {
  const seen = new Set<object>();
  const weigh = (value: unknown): number => {
    if (typeof value === 'string') return value.length;
    if (typeof value !== 'object' || value === null) return 8;
    if (seen.has(value)) return 0;
    seen.add(value);
    if (Buffer.isBuffer(value)) return value.length;
    const entries = Array.isArray(value) ? value : Object.values(value);
    let total = 16 + 8 * entries.length;
    for (const entry of entries) total += weigh(entry);
    return total;
  };
  return weigh(rows);
}

/** Rows as they would be stored, for comparing two decodes (bigints as text, Buffers as hex, -0 as 0). */
export function storedForm(decoded: DecodedRows<SpanRow>): string {
  return JSON.stringify(decoded, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key]; // before Buffer's toJSON
    if (original instanceof Uint8Array) return `0x${Buffer.from(original).toString('hex')}`;
    if (typeof value === 'bigint') return `${value}n`;
    return value;
  });
}

function isId(bytes: unknown, length: number): boolean {
  return Buffer.isBuffer(bytes) && bytes.length === length && bytes.some((byte) => byte !== 0);
}

function inInt64(value: unknown): boolean {
  return typeof value === 'bigint' && value >= 0n && value < INT64_LIMIT;
}

function inSignedInt64(value: bigint): boolean {
  return value >= -INT64_LIMIT && value < INT64_LIMIT;
}

function isSmallint(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= SMALLINT_MAX;
}

function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;
}

function hexOf(bytes: unknown): string {
  if (bytes === null) return 'null';
  return bytes instanceof Uint8Array ? Buffer.from(bytes).toString('hex') : JSON.stringify(bytes);
}

function visitStrings(value: unknown, visit: (text: string, path: string) => void, path = 'row', seen = new Set<object>()): void {
  if (typeof value === 'string') {
    visit(value, path);
    return;
  }
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || seen.has(value)) return;
  seen.add(value);
  for (const [key, inner] of Object.entries(value)) {
    visit(key, `${path} key`);
    visitStrings(inner, visit, `${path}.${key}`, seen);
  }
}

/** Every AnyValue of a row: attribute values (span, event, link, resource, scope) and what they nest. */
function visitAnyValues(row: SpanRow, visit: (value: object, path: string) => void): void {
  const ofValue = (value: unknown, path: string): void => {
    if (typeof value !== 'object' || value === null) {
      visit({ invalid: value }, path);
      return;
    }
    visit(value, path);
    const v = value as { arrayValue?: { values?: unknown[] }; kvlistValue?: { values?: unknown[] } };
    v.arrayValue?.values?.forEach((inner, i) => ofValue(inner, `${path}.arrayValue[${i}]`));
    if (v.kvlistValue?.values) ofList(v.kvlistValue.values, `${path}.kvlistValue`);
  };
  const ofList = (list: readonly unknown[], path: string): void => {
    list.forEach((kv, i) => ofValue((kv as { value?: unknown }).value, `${path}[${i}].value`));
  };
  ofList(row.attributes, 'attributes');
  ofList(row.resource.attributes, 'resource.attributes');
  ofList(row.scope.attributes, 'scope.attributes');
  row.events.forEach((event, i) => ofList(event.attributes, `events[${i}].attributes`));
  row.links.forEach((link, i) => ofList(link.attributes, `links[${i}].attributes`));
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `a thrown ${typeof error}: ${String(error)}`;
}
