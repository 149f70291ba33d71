import type { Bytes } from '@justanalytics/proto';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * A hex trace or span ID from OTLP/JSON as bytes. A string that is not hex
 * becomes one byte, a length no ID has, so the span carrying it is rejected
 * on its own instead of being silently truncated (Buffer.from(hex) stops at
 * the first bad digit) or failing the whole request.
 */
export function hexToIdBytes(hex: string): Buffer {
  return HEX.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(1);
}

/**
 * Replaces obj[field], an OTLP/JSON hex ID, with its bytes (hexToIdBytes).
 * An ID that is not a string at all (an array, {"length": 16}) would pass
 * protobufjs' fromObject as is, and become that many zero bytes: it becomes
 * one byte too, so the item carrying it is refused on its own.
 */
export function hexFieldToBytes(obj: Record<string, unknown>, field: string): void {
  const value = obj[field];
  if (typeof value === 'string') obj[field] = hexToIdBytes(value);
  else if (value !== undefined && value !== null) obj[field] = Buffer.alloc(1);
}

/** A decoded bytes field as a Buffer of its own, not a view into the request. */
export function copyBytes(bytes: Bytes): Buffer {
  return Buffer.from(bytes);
}

export function bytesToBase64(bytes: Bytes): string {
  return asBuffer(bytes).toString('base64');
}

/** True when every byte is zero (an invalid W3C ID); false for empty input. */
export function isAllZero(bytes: Bytes): boolean {
  if (bytes.length === 0) return false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) return false;
  }
  return true;
}

// A view, not a copy: these bytes are only read to build a string.
function asBuffer(bytes: Bytes): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes instanceof Uint8Array) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Buffer.from(bytes);
}
