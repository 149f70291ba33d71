import type { KeyValueJson } from '../model/otlp-json.ts';

/** What a span gets when its resource names no service, as OTLP SDKs do. */
export const UNKNOWN_SERVICE = 'unknown_service';

const STATUS_CODE_DIGITS = /^[1-9][0-9]{2}$/;

/** The resource's `service.name` string, or UNKNOWN_SERVICE. */
export function serviceNameOf(resourceAttributes: readonly KeyValueJson[]): string {
  const value = find(resourceAttributes, 'service.name');
  return value !== undefined && 'stringValue' in value && value.stringValue !== '' ? value.stringValue : UNKNOWN_SERVICE;
}

/** The span's `http.route` string, or null. */
export function httpRouteOf(attributes: readonly KeyValueJson[]): string | null {
  const value = find(attributes, 'http.route');
  return value !== undefined && 'stringValue' in value ? value.stringValue : null;
}

/**
 * The span's HTTP status code from `http.response.status_code`, or from the
 * pre-1.21 semantic conventions' `http.status_code`; null unless it is a
 * three-digit code (the column is an integer: anything else stays only in
 * the attributes).
 */
export function httpStatusCodeOf(attributes: readonly KeyValueJson[]): number | null {
  return statusCode(find(attributes, 'http.response.status_code')) ?? statusCode(find(attributes, 'http.status_code'));
}

function statusCode(value: KeyValueJson['value'] | undefined): number | null {
  if (value === undefined) return null;
  let digits: string | undefined;
  if ('intValue' in value) digits = value.intValue;
  else if ('stringValue' in value) digits = value.stringValue;
  return digits !== undefined && STATUS_CODE_DIGITS.test(digits) ? Number(digits) : null;
}

function find(attributes: readonly KeyValueJson[], key: string): KeyValueJson['value'] | undefined {
  for (const attribute of attributes) {
    if (attribute.key === key) return attribute.value;
  }
  return undefined;
}
