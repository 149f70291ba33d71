// The keyset cursor of trace search: the position of the last trace of a page
// in the list's order (start_time desc, trace_id desc). start_time is kept to
// the microsecond, exactly as PostgreSQL stores it, so no trace is skipped or
// repeated at a page boundary.

export interface TraceCursor {
  startMicros: bigint;
  traceId: Buffer;
}

/** A cursor the client sent that this server did not make. */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this server returned');
    this.name = 'InvalidCursorError';
  }
}

const FORMAT = /^(\d{1,17})\.([0-9a-f]{32})$/;

export function encodeTraceCursor(cursor: TraceCursor): string {
  return Buffer.from(`${cursor.startMicros}.${cursor.traceId.toString('hex')}`).toString('base64url');
}

export function decodeTraceCursor(text: string): TraceCursor {
  const match = FORMAT.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (match === null || match[1] === undefined || match[2] === undefined) throw new InvalidCursorError();
  return { startMicros: BigInt(match[1]), traceId: Buffer.from(match[2], 'hex') };
}

/** An ISO 8601 timestamp with all six fractional digits, which PostgreSQL parses exactly. */
export function microsToIso(micros: bigint): string {
  const millis = micros / 1000n;
  const rest = micros % 1000n;
  return `${new Date(Number(millis)).toISOString().slice(0, -1)}${rest.toString().padStart(3, '0')}Z`;
}
