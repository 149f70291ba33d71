/**
 * What a failed write means for the rows in it:
 * - `unavailable`: the database cannot be reached or is not taking writes now;
 *   the rows are fine and the client should retry later.
 * - `retry`: a transient conflict (deadlock, serialization); run it again.
 * - `missing-partition`: a row's day has no partition (dropped or never made).
 * - `data`: something in the rows themselves; other rows must not pay for it.
 */
export type DatabaseErrorKind = 'unavailable' | 'retry' | 'missing-partition' | 'data';

// Node socket errors that mean the server is out of reach.
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

// SQLSTATE codes and classes that mean "not now" rather than "not this data".
const unavailableStates = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '57P05', // idle_session_timeout
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
  '25006', // read_only_sql_transaction (a standby after failover)
  '40003', // statement_completion_unknown
]);
const unavailableClasses = new Set([
  '08', // connection exception
  '53', // insufficient resources: disk full, out of memory, too many connections
  '58', // system error: I/O
]);

// node-postgres reports a lost or unobtainable connection with these messages and no code.
const connectionMessages = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Cannot use a pool after calling end',
  'Query read timeout',
];

export function classifyDatabaseError(error: unknown): DatabaseErrorKind {
  if (typeof error !== 'object' || error === null) return 'data';
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (networkCodes.has(code)) return 'unavailable';
    if (code === '40001' || code === '40P01') return 'retry';
    if (code === '23514' && typeof message === 'string' && message.includes('no partition of relation')) return 'missing-partition';
    if (unavailableStates.has(code) || (code.length === 5 && unavailableClasses.has(code.slice(0, 2)))) return 'unavailable';
  }
  if (typeof message === 'string' && connectionMessages.some((text) => message.includes(text))) return 'unavailable';
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== error) return classifyDatabaseError(cause);
  // An AggregateError (e.g. from connecting to each address of a host) is unavailable when its parts are.
  if (error instanceof AggregateError && error.errors.length > 0 && error.errors.every((inner) => classifyDatabaseError(inner) === 'unavailable')) {
    return 'unavailable';
  }
  return 'data';
}
