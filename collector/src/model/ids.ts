// OTLP/JSON spells trace and span IDs as lowercase hex; rows and the database
// hold them as bytes. Decoding (hex in) and the query API (hex out, hex in
// from a URL) share these so the two spellings cannot drift apart.

const TRACE_ID = /^[0-9a-fA-F]{32}$/;

/** Lowercase hex, the OTLP/JSON spelling of IDs. */
export function bytesToHex(bytes: Uint8Array | readonly []): string {
  // A view, not a copy: the bytes are only read to build a string.
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : bytes instanceof Uint8Array
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : Buffer.alloc(0);
  return buffer.toString('hex');
}

/** The 16 bytes of a hex trace ID, or null when it is not 32 hex digits. */
export function traceIdFromHex(hex: string): Buffer | null {
  return TRACE_ID.test(hex) ? Buffer.from(hex, 'hex') : null;
}
