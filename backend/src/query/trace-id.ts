// OTLP/JSON spells trace and span IDs as lowercase hex; the database holds bytea.

const TRACE_ID = /^[0-9a-fA-F]{32}$/;

/** The 16 bytes of a hex trace ID, or null when it is not 32 hex digits. */
export function traceIdFromHex(hex: string): Buffer | null {
  return TRACE_ID.test(hex) ? Buffer.from(hex, 'hex') : null;
}

export function toHex(id: Buffer): string {
  return id.toString('hex');
}
