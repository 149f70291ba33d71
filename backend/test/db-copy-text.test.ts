// The pieces of the store that need no database: COPY text escaping, storable
// strings, timestamps from nanoseconds, and the classification of database
// errors into unavailable / retry / missing partition / data.
import t from 'tap';
import { sanitizeString } from '@justanalytics/collector';
import { copyBytea, copyJson, copyNullableText, copyText, nanosToTimestamp } from '../src/db/copy-text.ts';
import { classifyDatabaseError } from '../src/store/database-errors.ts';

t.test('COPY text escapes what would end a value or a row', async (t) => {
  t.equal(copyText('plain'), 'plain');
  t.equal(copyText('a\\b\tc\nd\re'), 'a\\\\b\\tc\\nd\\re');
  t.equal(copyText('\\N'), '\\\\N', 'the text \\N is not NULL');
  t.equal(copyNullableText(null), '\\N');
  t.equal(copyBytea(Buffer.from([0, 1, 254, 255])), '\\\\x0001feff');
  t.equal(copyJson({ s: 'tab\there "q" \\' }), '{"s":"tab\\\\there \\\\"q\\\\" \\\\\\\\"}');
  t.equal(copyJson(['\u0000', '\ud800']), '["\uFFFD","\uFFFD"]', 'NUL and lone surrogates become U+FFFD, not \\u escapes jsonb refuses');
  t.equal(sanitizeString('ok \u{1F600}'), 'ok \u{1F600}', 'valid pairs stay');
});

t.test('timestamps keep the microseconds and never round into the next day', async (t) => {
  t.equal(nanosToTimestamp(0n), '1970-01-01T00:00:00.000000Z');
  const at = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
  t.equal(nanosToTimestamp(at('2026-11-23T18:00:00.123Z') + 456_789n), '2026-11-23T18:00:00.123456Z');
  t.equal(nanosToTimestamp(at('2026-11-24T00:00:00Z') - 1n), '2026-11-23T23:59:59.999999Z', 'truncated, not rounded to midnight');
  t.equal(nanosToTimestamp(at('2100-01-01T00:00:00Z') + 999n), '2100-01-01T00:00:00.000000Z');
});

t.test('database errors are classified by what they mean for the rows', async (t) => {
  const cases: Array<[unknown, string]> = [
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'unavailable'],
    [new Error('Connection terminated unexpectedly'), 'unavailable'],
    [new Error('timeout exceeded when trying to connect'), 'unavailable'],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'unavailable'],
    [Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), 'unavailable'],
    [Object.assign(new Error('could not extend file'), { code: '53100' }), 'unavailable'],
    [Object.assign(new Error('the database system is starting up'), { code: '57P03' }), 'unavailable'],
    [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), 'unavailable'],
    [Object.assign(new Error('connection failure'), { code: '08006' }), 'unavailable'],
    [new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ECONNREFUSED' })]), 'unavailable'],
    [new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }), 'unavailable'],
    [Object.assign(new Error('deadlock detected'), { code: '40P01' }), 'retry'],
    [Object.assign(new Error('could not serialize access'), { code: '40001' }), 'retry'],
    [Object.assign(new Error('no partition of relation "spans" found for row'), { code: '23514' }), 'missing-partition'],
    [Object.assign(new Error('new row for relation "spans_p20261123" violates check constraint "c"'), { code: '23514' }), 'data'],
    [Object.assign(new Error('invalid input syntax for type bigint'), { code: '22P02' }), 'data'],
    [new TypeError('a bug'), 'data'],
    ['a string', 'data'],
  ];
  for (const [error, kind] of cases) t.equal(classifyDatabaseError(error), kind, (error as Error).message ?? String(error));
});
