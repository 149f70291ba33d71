// Covers the trace search cursor (opaque, exact to the microsecond, rejected
// when forged) and the candidate values of attribute filters.
import t from 'tap';
import { attributeCandidates } from '../src/query/attribute-match.ts';
import { decodeTraceCursor, encodeTraceCursor, InvalidCursorError, microsToIso } from '../src/query/traces/trace-cursor.ts';

t.test('a cursor round-trips and is opaque base64url', async (t) => {
  const cursor = { startMicros: 1_795_456_800_123_456n, traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex') };
  const text = encodeTraceCursor(cursor);
  t.match(text, /^[A-Za-z0-9_-]+$/);
  t.same(decodeTraceCursor(text), cursor);
});

t.test('forged cursors are rejected', async (t) => {
  for (const bad of ['', 'abc', Buffer.from('12.zz').toString('base64url'), Buffer.from('-1.0af7651916cd43dd8448eb211c80319c').toString('base64url')]) {
    t.throws(() => decodeTraceCursor(bad), InvalidCursorError, JSON.stringify(bad));
  }
});

t.test('microseconds print as an exact ISO 8601 time', async (t) => {
  t.equal(microsToIso(1_795_456_800_123_456n), '2026-11-23T18:00:00.123456Z');
  t.equal(microsToIso(0n), '1970-01-01T00:00:00.000000Z');
  t.equal(microsToIso(4_102_444_800_000_001n), '2100-01-01T00:00:00.000001Z');
});

t.test('attribute candidates cover the typed forms whose text is the value', async (t) => {
  const values = (text: string) => attributeCandidates('k', text).map((c) => c[0]?.value);
  t.same(values('GET'), [{ stringValue: 'GET' }]);
  t.same(values('200'), [{ stringValue: '200' }, { intValue: '200' }, { doubleValue: 200 }]);
  t.same(values('9007199254740993'), [{ stringValue: '9007199254740993' }, { intValue: '9007199254740993' }]);
  t.same(values('1.5'), [{ stringValue: '1.5' }, { doubleValue: 1.5 }]);
  t.same(values('1.50'), [{ stringValue: '1.50' }]);
  t.same(values('true'), [{ stringValue: 'true' }, { boolValue: true }]);
  t.same(values('NaN'), [{ stringValue: 'NaN' }, { doubleValue: 'NaN' }]);
  t.same(values('007'), [{ stringValue: '007' }]);
  t.same(values(''), [{ stringValue: '' }]);
  t.same(attributeCandidates('http.method', 'GET'), [[{ key: 'http.method', value: { stringValue: 'GET' } }]]);
});
