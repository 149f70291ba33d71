// Covers query/logs/logs.ts and query/logs/log-search.ts against a real database (the
// machine's with TEST_DATABASE_URL, else the embedded --no-locale one): the
// OTLP/JSON LogsData answer (exact int64 bodies, resource and scope
// grouping), every filter, severity with its text fallback, q's words,
// phrases and exclusions over Unicode text, cursor paging with ties, and the
// logs of one trace.
import t from 'tap';
import type { LogRow } from '@justanalytics/collector';
import { parseLogQuery, containsPattern, MAX_SEARCH_TERMS, TooManySearchTermsError } from '../src/query/logs/log-search.ts';
import { getTraceLogs, searchLogs, type LogSearch } from '../src/query/logs/logs.ts';
import { InvalidCursorError } from '../src/query/traces/trace-cursor.ts';
import { createSite } from '../src/store/sites.ts';
import { insertLogRows, logRecordJson, logRow, recordsOf } from './helpers/log-rows.ts';
import { HOUR, MINUTE, nanos, newSpanId, newTraceId, SECOND } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';

const { db, apiDb, siteA, siteB } = await setUpQueryTest(t);

const now = new Date();
const base = nanos(new Date(now.getTime() - 30 * 60_000), 123_456_789n);
const range = { start: new Date(now.getTime() - 3_600_000), end: new Date(now.getTime() + 60_000) };
let clock = 0n;
/** A distinct time inside the range for each record. */
function nextTime(): bigint {
  clock += SECOND;
  return base + clock;
}

async function search(extra: Partial<LogSearch>, siteId = siteA) {
  return searchLogs(apiDb, siteId, { ...range, limit: 1000, ...extra });
}
async function bodies(extra: Partial<LogSearch>, siteId = siteA): Promise<string[]> {
  const { logs } = await search(extra, siteId);
  return recordsOf(logs)
    .map((record) => ('stringValue' in record.body ? record.body.stringValue : JSON.stringify(record.body)))
    .sort();
}

t.test('parseLogQuery', async (t) => {
  t.strictSame(parseLogQuery('Foo  "Bar Baz" -qux -"a b" "unclosed'), { include: ['foo', 'bar baz', 'unclosed'], exclude: ['qux', 'a b'] });
  t.strictSame(parseLogQuery(' - "" -"" '), { include: [], exclude: [] }, 'empty terms ask for nothing');
  t.strictSame(parseLogQuery('ＥＲＲＯＲ Ärger'), { include: ['error', 'ärger'], exclude: [] }, 'NFKC and lower case');
  t.strictSame(parseLogQuery('foo-bar'), { include: ['foo-bar'], exclude: [] }, 'only a leading dash excludes');
  t.strictSame(parseLogQuery('a - b --c'), { include: ['a', 'b'], exclude: ['c'] }, 'a lone dash is no word');
  t.equal(containsPattern('50%_a\\b'), '%50\\%\\_a\\\\b%');
  t.throws(() => parseLogQuery(Array.from({ length: MAX_SEARCH_TERMS + 1 }, (_, i) => `w${i}`).join(' ')), TooManySearchTermsError);
  t.doesNotThrow(() => parseLogQuery(Array.from({ length: MAX_SEARCH_TERMS }, (_, i) => `w${i}`).join(' ')));
});

t.test('records come back as sent, grouped by resource and scope, newest first', async (t) => {
  const site = siteB; // a site of its own, so other tests' records do not mix in
  const gateway = { attributes: [{ key: 'service.name', value: { stringValue: 'gateway' } }], droppedAttributesCount: 2 };
  const scopeA = { name: 'http', version: '1', attributes: [{ key: 's', value: { intValue: '-1' } }], droppedAttributesCount: 1 };
  const scopeB = { name: 'db', version: '2', attributes: [], droppedAttributesCount: 0 };
  const t0 = base + 7n; // below the microsecond, and beyond 2^53
  const traceId = newTraceId();
  const spanId = newSpanId();
  const rows: LogRow[] = [
    logRow(site, {
      timestampUnixNano: t0,
      timeUnixNano: t0,
      observedTimeUnixNano: 0n,
      serviceName: 'gateway',
      resource: gateway,
      resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      scope: scopeA,
      scopeSchemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
      severityNumber: 17,
      severityText: 'ERROR',
      body: {
        kvlistValue: {
          values: [
            { key: 'max', value: { intValue: '9223372036854775807' } },
            { key: 'min', value: { intValue: '-9223372036854775808' } },
            { key: 'beyond53', value: { intValue: '9007199254740993' } },
            { key: 'nan', value: { doubleValue: 'NaN' } },
            { key: 'list', value: { arrayValue: { values: [{ boolValue: false }, {}, { bytesValue: 'AAH+/w==' }] } } },
          ],
        },
      },
      attributes: [{ key: 'big', value: { intValue: '-9223372036854775808' } }],
      droppedAttributesCount: 3,
      flags: 0x301,
      traceId,
      spanId,
      eventName: 'payment.failed',
    }),
    // Observed time only: `time` falls back to it, and timeUnixNano stays "0".
    logRow(site, { timestampUnixNano: t0 + SECOND, timeUnixNano: 0n, observedTimeUnixNano: t0 + SECOND, serviceName: 'gateway', resource: gateway, resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0', scope: scopeB, body: null }),
    logRow(site, { timestampUnixNano: t0 + 2n * SECOND, serviceName: 'payments', body: { intValue: '-9223372036854775808' } }),
    logRow(site, {
      timestampUnixNano: t0 + 3n * SECOND,
      serviceName: 'gateway',
      resource: gateway,
      resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      scope: scopeA,
      scopeSchemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
      body: { doubleValue: 5e-324 },
    }),
  ];
  await insertLogRows(db, rows);
  const { logs, nextCursor } = await search({}, site);
  t.equal(nextCursor, null);
  const [r0, r1, r2, r3] = rows as [LogRow, LogRow, LogRow, LogRow];
  t.strictSame(logs, {
    resourceLogs: [
      {
        resource: gateway,
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeLogs: [
          { scope: scopeA, schemaUrl: 'https://opentelemetry.io/schemas/1.24.0', logRecords: [logRecordJson(r3), logRecordJson(r0)] },
          { scope: scopeB, schemaUrl: '', logRecords: [logRecordJson(r1)] },
        ],
      },
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'payments' } }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [{ scope: r2.scope, schemaUrl: '', logRecords: [logRecordJson(r2)] }],
      },
    ],
  });
  const first = recordsOf(logs).find((record) => record.eventName === 'payment.failed');
  t.equal(first?.timeUnixNano, t0.toString(), 'nanoseconds exact');
  t.equal(first?.traceId, traceId.toString('hex'));
  t.equal(recordsOf(logs).find((record) => record.timeUnixNano === '0')?.observedTimeUnixNano, (t0 + SECOND).toString());
  t.notOk('traceId' in (recordsOf(logs)[0] ?? {}), 'no traceId when the record names none');

  t.strictSame(recordsOf((await search({}, siteA)).logs).filter((record) => record.service === 'gateway'), [], "another site's records are not seen");
});

t.test('filters', async (t) => {
  const traceId = newTraceId();
  const spanId = newSpanId();
  const rows = [
    logRow(siteA, { timestampUnixNano: nextTime(), serviceName: 'billing', body: { stringValue: 'f-billing' } }),
    logRow(siteA, { timestampUnixNano: nextTime(), serviceName: 'shipping', body: { stringValue: 'f-shipping' }, traceId, spanId }),
    logRow(siteA, { timestampUnixNano: nextTime(), serviceName: 'shipping', body: { stringValue: 'f-other-span' }, traceId, spanId: newSpanId() }),
    logRow(siteA, {
      timestampUnixNano: nextTime(),
      serviceName: 'shipping',
      body: { stringValue: 'f-attr' },
      attributes: [
        { key: 'http.status_code', value: { intValue: '503' } },
        { key: 'user.id', value: { stringValue: 'u-1' } },
      ],
    }),
    logRow(siteA, {
      timestampUnixNano: nextTime(),
      serviceName: 'billing',
      body: { stringValue: 'f-resource' },
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'billing' } }, { key: 'deployment.environment', value: { stringValue: 'prod' } }], droppedAttributesCount: 0 },
    }),
    // Outside the range.
    logRow(siteA, { timestampUnixNano: nanos(new Date(now.getTime() - 2 * 3_600_000)), serviceName: 'billing', body: { stringValue: 'f-old' } }),
  ];
  await insertLogRows(db, rows);
  t.strictSame(await bodies({ service: 'billing', q: 'f-' }), ['f-billing', 'f-resource']);
  t.strictSame(await bodies({ traceId }), ['f-other-span', 'f-shipping']);
  t.strictSame(await bodies({ traceId, spanId }), ['f-shipping']);
  t.strictSame(await bodies({ attributes: { 'http.status_code': '503' } }), ['f-attr'], 'an int attribute by its text');
  t.strictSame(await bodies({ attributes: { 'http.status_code': '503', 'user.id': 'u-1' } }), ['f-attr'], 'two attributes');
  t.strictSame(await bodies({ attributes: { 'http.status_code': '503', 'user.id': 'u-2' } }), [], 'both must match');
  t.strictSame(await bodies({ attributes: { 'deployment.environment': 'prod' } }), ['f-resource'], 'a resource attribute');
  t.strictSame(await bodies({ service: 'billing', start: new Date(now.getTime() - 3 * 3_600_000), end: range.start }), ['f-old'], 'the range');
  t.strictSame(await bodies({ service: 'nobody' }), []);
});

t.test('severity is a minimum, by number, else by text', async (t) => {
  const siteId = (await createSite(db, { name: 'severity' })).id;
  const cases: Array<[number, string, string]> = [
    [1, 'TRACE', 'n-trace'],
    [7, '', 'n-debug3'],
    [9, 'whatever', 'n-info'],
    [14, 'INFO', 'n-warn2'], // the number wins over the text
    [17, '', 'n-error'],
    [24, '', 'n-fatal4'],
    [0, 'WARNING', 't-warning'],
    [0, 'Err', 't-err'],
    [0, 'notice', 't-notice'],
    [0, 'DEBUG', 't-debug'],
    [0, 'Critical', 't-critical'],
    [0, 'ERROR2', 't-error2'],
    [0, 'bogus', 't-bogus'],
    [0, '', 't-empty'],
    [0, 'ᴇʀʀᴏʀ', 't-small-caps'], // lower() in a Unicode locale must not make this "error"
  ];
  await insertLogRows(
    db,
    cases.map(([severityNumber, severityText, body]) => logRow(siteId, { timestampUnixNano: nextTime(), severityNumber, severityText, body: { stringValue: body } })),
  );
  const all = cases.map(([, , body]) => body).sort();
  t.strictSame(await bodies({}, siteId), all);
  t.strictSame(await bodies({ severity: 'trace' }, siteId), all.filter((b) => !['t-bogus', 't-empty', 't-small-caps'].includes(b)));
  t.strictSame(await bodies({ severity: 'info' }, siteId), ['n-error', 'n-fatal4', 'n-info', 'n-warn2', 't-critical', 't-err', 't-error2', 't-notice', 't-warning']);
  t.strictSame(await bodies({ severity: 'warn' }, siteId), ['n-error', 'n-fatal4', 'n-warn2', 't-critical', 't-err', 't-error2', 't-warning']);
  t.strictSame(await bodies({ severity: 'error' }, siteId), ['n-error', 'n-fatal4', 't-critical', 't-err', 't-error2']);
  t.strictSame(await bodies({ severity: 'fatal' }, siteId), ['n-fatal4', 't-critical']);
});

t.test('q: words, phrases and exclusions, folded the same way on every database', async (t) => {
  const siteId = (await createSite(db, { name: 'search' })).id;
  const texts = [
    'Großer Ärger beim Bezahlen',
    'kein ärger heute',
    'arger ohne Umlaut',
    'Σφάλμα δικτύου στη σύνδεση',
    'Ошибка подключения к базе',
    '数据库连接失败',
    'connection refused by peer',
    'refused the connection',
    'timeout while connecting',
    'connection timeout after 30s',
    'disk 100% full',
    'disk 1000 blocks',
    'file a_b.txt',
    'file axb.txt',
    'path C:\\temp\\x',
    'ＦＵＬＬＷＩＤＴＨ error',
  ];
  await insertLogRows(
    db,
    texts.map((text, i) =>
      logRow(siteId, {
        timestampUnixNano: nextTime(),
        // Half the texts in an attribute, which is searched too.
        body: i % 2 === 0 ? { stringValue: text } : { kvlistValue: { values: [{ key: 'nested', value: { stringValue: text } }] } },
        attributes: i % 2 === 0 ? [] : [{ key: 'msg', value: { stringValue: `#${i}` } }],
      }),
    ),
  );
  const find = async (q: string): Promise<string[]> => {
    const { logs } = await search({ q }, siteId);
    return recordsOf(logs)
      .map((record) => {
        const body = record.body;
        if ('stringValue' in body) return body.stringValue;
        if ('kvlistValue' in body) {
          const inner = body.kvlistValue.values[0]?.value;
          return inner !== undefined && 'stringValue' in inner ? inner.stringValue : '';
        }
        return '';
      })
      .sort();
  };
  t.strictSame(await find('Ärger'), ['Großer Ärger beim Bezahlen', 'kein ärger heute'].sort(), 'Ärger finds ärger and Ärger');
  t.strictSame(await find('ärger'), ['Großer Ärger beim Bezahlen', 'kein ärger heute'].sort());
  t.strictSame(await find('arger'), ['arger ohne Umlaut'], 'no accent folding: arger does not find ärger');
  t.strictSame(await find('GROSSER'), [], 'no full case folding of ß either');
  t.strictSame(await find('ΣΦΆΛΜΑ'), ['Σφάλμα δικτύου στη σύνδεση'], 'Greek');
  t.strictSame(await find('ОШИБКА'), ['Ошибка подключения к базе'], 'Cyrillic');
  t.strictSame(await find('连接'), ['数据库连接失败'], 'CJK, shorter than a trigram');
  t.strictSame(await find('fullwidth'), ['ＦＵＬＬＷＩＤＴＨ error'], 'NFKC: full-width letters');
  t.strictSame(await find('connection refused'), ['connection refused by peer', 'refused the connection'].sort(), 'words: all, anywhere');
  t.strictSame(await find('"connection refused"'), ['connection refused by peer'], 'a phrase: adjacent');
  t.strictSame(await find('connection -refused'), ['connection timeout after 30s'], 'an exclusion');
  t.strictSame(await find('connect -"connection refused" -timeout'), ['refused the connection'], 'an excluded phrase');
  t.strictSame(await find('100%'), ['disk 100% full'], '% is literal');
  t.strictSame(await find('a_b'), ['file a_b.txt'], '_ is literal');
  t.strictSame(await find('c:\\temp'), ['path C:\\temp\\x'], '\\ is literal');
  t.strictSame(await find('#3'), ['Σφάλμα δικτύου στη σύνδεση'], 'string attributes are searched');
  t.strictSame(await find('nested'), [], 'keys are not');
  t.strictSame(await find('nonexistent'), []);
  t.equal((await find('')).length, texts.length, 'an empty q matches everything');
});

t.test('paging: newest first, ties broken stably, no gaps or repeats', async (t) => {
  const siteId = (await createSite(db, { name: 'paging' })).id;
  const t0 = base + 5n * MINUTE;
  const rows: LogRow[] = [];
  for (let i = 0; i < 250; i++) {
    // Runs of records on one nanosecond, and several on one microsecond.
    const time = i < 60 ? t0 : i < 120 ? t0 + 1n + BigInt(i % 3) : t0 + BigInt(i) * 1_000n;
    rows.push(logRow(siteId, { timestampUnixNano: time, body: { stringValue: `p-${i}` }, severityNumber: 1 + (i % 24) }));
  }
  await insertLogRows(db, rows);
  for (const limit of [1, 7, 60, 249, 1000]) {
    const seen: Array<{ body: string; time: bigint }> = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await search({ limit, ...(cursor === undefined ? {} : { cursor }) }, siteId);
      for (const record of recordsOf(page.logs)) {
        seen.push({ body: 'stringValue' in record.body ? record.body.stringValue : '', time: BigInt(record.timeUnixNano) });
      }
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 1000);
    t.equal(seen.length, 250, `limit ${limit}: every record`);
    t.equal(new Set(seen.map((s) => s.body)).size, 250, `limit ${limit}: none twice`);
    t.ok(seen.every((s, i) => i === 0 || (seen[i - 1] as { time: bigint }).time >= s.time), `limit ${limit}: newest first`);
    t.equal(pages, Math.max(1, Math.ceil(250 / limit)), `limit ${limit}: pages`);
  }
  const twice = [await search({ limit: 1000 }, siteId), await search({ limit: 1000 }, siteId)];
  t.strictSame(twice[0], twice[1], 'the order is the same on every read');
  const filtered = await search({ limit: 5, severity: 'error' }, siteId);
  t.ok(filtered.nextCursor, 'a cursor of a filtered search');
  const next = await search({ limit: 1000, severity: 'error', cursor: filtered.nextCursor ?? '' }, siteId);
  t.ok(recordsOf(next.logs).every((record) => record.severityNumber >= 17));
  t.equal(recordsOf(filtered.logs).length + recordsOf(next.logs).length, rows.filter((row) => row.severityNumber >= 17).length);

  for (const bad of ['x', Buffer.from('1.zz').toString('base64url'), Buffer.from(`${2n ** 63n}.${'0'.repeat(32)}`).toString('base64url')]) {
    await t.rejects(search({ cursor: bad }, siteId), InvalidCursorError, `cursor ${bad}`);
  }
});

t.test('a range of days is read newest first in slices: pages cross the slices whole', async (t) => {
  const siteId = (await createSite(db, { name: 'slices' })).id;
  // The slices end at `end` (or the cursor) and are 1, 2, 4, … hours long:
  // records on whole hours, a nanosecond either side, and every 17 minutes
  // over four days, half of them matching q.
  const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const endNs = nanos(end);
  const start = new Date(end.getTime() - 4 * 86_400_000);
  const times = new Set<bigint>();
  for (let k = 1n; k * 17n * MINUTE <= 4n * 24n * HOUR + MINUTE; k++) times.add(endNs - k * 17n * MINUTE);
  for (const hours of [1n, 2n, 4n, 8n, 16n, 32n, 64n, 96n]) for (const offset of [-1n, 0n, 1n]) times.add(endNs - hours * HOUR + offset);
  times.add(endNs); // at the range's end: outside
  const rows = [...times].map((time, i) => logRow(siteId, { timestampUnixNano: time, body: { stringValue: `${i % 2 === 0 ? 'even' : 'odd'} s-${i}` } }));
  // Nothing in the newest slices matches.
  rows.push(logRow(siteId, { timestampUnixNano: endNs - 90n * HOUR, body: { stringValue: 'a needle' } }));
  await insertLogRows(db, rows);
  const inRange = (row: LogRow): boolean => row.timestampUnixNano >= nanos(start) && row.timestampUnixNano < endNs;

  for (const q of [undefined, 'even']) {
    const expected = rows
      .filter((row) => inRange(row) && (q === undefined || JSON.stringify(row.body).includes(q)))
      .sort((a, b) => (a.timestampUnixNano < b.timestampUnixNano ? 1 : -1))
      .map((row) => row.timestampUnixNano);
    for (const limit of [1, 3, 50, 1000]) {
      const seen: bigint[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await searchLogs(apiDb, siteId, { start, end, limit, ...(q === undefined ? {} : { q }), ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...recordsOf(page.logs).map((record) => BigInt(record.timeUnixNano)));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor !== undefined && pages < 2000);
      t.strictSame(seen, expected, `q ${q ?? '(none)'}, limit ${limit}: every record in the range once, newest first`);
      t.equal(pages, Math.max(1, Math.ceil(expected.length / limit)), `q ${q ?? '(none)'}, limit ${limit}: pages`);
    }
  }
  const needle = await searchLogs(apiDb, siteId, { start, end, limit: 10, q: 'needle' });
  t.strictSame(recordsOf(needle.logs).map((record) => record.timeUnixNano), [(endNs - 90n * HOUR).toString()], 'a term found only days back');
  t.equal(needle.nextCursor, null);
  const later = await searchLogs(apiDb, siteId, { start: new Date(end.getTime() - 3_600_000), end, limit: 1000 });
  t.equal(recordsOf(later.logs).at(-1)?.timeUnixNano, (endNs - HOUR).toString(), "the range's start is in it");
});

t.test('the logs of one trace, oldest first, capped', async (t) => {
  const traceId = newTraceId();
  const t0 = base + 10n * MINUTE;
  const rows = Array.from({ length: 5 }, (_, i) =>
    logRow(siteA, { timestampUnixNano: t0 + BigInt(4 - i) * SECOND, traceId, spanId: newSpanId(), body: { stringValue: `tr-${4 - i}` } }),
  );
  // A day earlier: the trace's records are found whatever partition they are in.
  rows.push(logRow(siteA, { timestampUnixNano: t0 - 24n * 60n * MINUTE, traceId, body: { stringValue: 'tr-early' } }));
  rows.push(logRow(siteA, { timestampUnixNano: t0, body: { stringValue: 'not-in-trace' } }));
  await insertLogRows(db, rows);
  const all = await getTraceLogs(apiDb, siteA, traceId.toString('hex'));
  t.strictSame(
    recordsOf(all.logs).map((record) => 'stringValue' in record.body && record.body.stringValue),
    ['tr-early', 'tr-0', 'tr-1', 'tr-2', 'tr-3', 'tr-4'],
  );
  t.equal(all.recordCount, 6);
  t.equal(all.returnedRecordCount, 6);
  const capped = await getTraceLogs(apiDb, siteA, traceId.toString('hex'), { limit: 2 });
  t.strictSame(recordsOf(capped.logs).map((record) => 'stringValue' in record.body && record.body.stringValue), ['tr-early', 'tr-0']);
  t.equal(capped.recordCount, 6);
  t.equal(capped.returnedRecordCount, 2);
  t.strictSame(await getTraceLogs(apiDb, siteB, traceId.toString('hex')), { logs: { resourceLogs: [] }, recordCount: 0, returnedRecordCount: 0 }, 'another site');
  t.strictSame((await getTraceLogs(apiDb, siteA, newTraceId().toString('hex'))).recordCount, 0);
});
