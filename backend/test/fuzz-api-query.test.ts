// Fuzzes the query API's routes end to end (app.inject on a real database with
// an awkward trace stored): arbitrary query strings (durations, times,
// cursors, limits, statuses, attr.* filters, unknown names, percent-encoded
// bytes that are not UTF-8) and path segments on /api/v1/traces,
// /api/v1/traces/{id}, /api/v1/services and /api/v1/services/{name}/operations
// are answered 200, 400 or 404 with the documented body, never 500. Also
// named regressions: an attr.__proto__ filter must filter, not vanish, and a
// path with a bad percent-encoding (%FF) gets the documented error body.
import fc from 'fast-check';
import t from 'tap';
import { fuzzParameters } from '../../collector/test/fuzz/fuzz-settings.ts';
import { encodeTraceCursor } from '../src/query/traces/trace-cursor.ts';
import { awkwardTrace } from './helpers/query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';

/** Percent-encodes every byte but the unreserved ones, so any string (lone surrogates too) and any bytes can be sent. */
function percentEncode(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

const encodeText = (text: string): string => percentEncode(Buffer.from(text, 'utf8'));

const parameterName = fc.oneof(
  fc.constantFrom('start', 'end', 'limit', 'cursor', 'status', 'service', 'operation', 'minDuration', 'maxDuration'),
  fc.string({ maxLength: 10 }).map((key) => `attr.${key}`),
  fc.constantFrom('attr.', 'attr.__proto__', 'attr.http.request.method', 'attr.int.max', 'attr.double.nan', 'unknown', '__proto__', 'constructor'),
);

const parameterValue = fc.oneof(
  fc.string({ maxLength: 16 }).map(encodeText),
  fc.uint8Array({ maxLength: 12 }).map(percentEncode), // often invalid UTF-8
  fc.constantFrom('0', '-1', '1001', '20', '1e3', '2.5', '9223372036854775807', '9223372036854775808', '99999999999999999999', 'error', 'ok', 'unset', 'POST', 'NaN', 'Infinity', 'true'),
  fc.constantFrom('250ms', '1.5s', '1h30m', '0s', '2562047h47m16.854775807s', '2562047h47m16.854775808s', '.5us', '1µs', '999999999999999999999h', '1d', '-1s').map(encodeText),
  fc.constantFrom('0', '999999999999999', '1000000000000000', '0000-01-01', '9999-12-31T23:59:59.999999999+23:59', '2026-02-30', '1970-01-01T00:00:00Z', 'now').map(encodeText),
  fc.date({ noInvalidDate: true, min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z') }).map((d) => encodeText(d.toISOString())),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 17n - 1n }), fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([startMicros, id]) => encodeTraceCursor({ startMicros, traceId: Buffer.from(id) })),
  fc.string({ maxLength: 40 }).map((text) => Buffer.from(text).toString('base64url')),
);

const route = fc.oneof(
  { weight: 4, arbitrary: fc.constant('/api/v1/traces') },
  fc.constant('/api/v1/services'),
  fc.string({ maxLength: 12 }).map((name) => `/api/v1/services/${encodeText(name)}/operations`),
  fc.constantFrom('gateway', 'checkout', '%00', '%FF', '..', '%2F').map((name) => `/api/v1/services/${name}/operations`),
  fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')), fc.string({ maxLength: 40 }).map(encodeText)).map((id) => `/api/v1/traces/${id}`),
);

const requestUrl = fc.tuple(route, fc.array(fc.tuple(parameterName, parameterValue), { maxLength: 5 })).map(([path, params]) => {
  const query = params.map(([name, value]) => `${encodeText(name)}=${value}`).join('&');
  return query === '' ? path : `${path}?${query}`;
});

const ERROR_CODES = new Set(['INVALID_ARGUMENT', 'NOT_FOUND']);

t.test('any query string or path segment is answered 200, 400 or 404 with the documented body, never 500', async (t) => {
  const api = await setUpApiTest(t);
  const now = new Date();
  await api.write(api.siteA, awkwardTrace(api.siteA, new Date(now.getTime() - 60_000)).rows);
  const seen = new Map<number, number>();

  const property = fc.asyncProperty(requestUrl, async (url) => {
    const response = await api.get(url);
    seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
    const body = response.body as { error?: { code?: unknown; message?: unknown } } & Record<string, unknown>;
    if (response.status === 200) {
      const ok = Array.isArray(body.traces) || Array.isArray(body.services) || Array.isArray(body.operations) || Array.isArray(body.resourceSpans);
      if (!ok) throw new Error(`${url}: 200 with ${response.raw.slice(0, 200)}`);
      return;
    }
    if (response.status !== 400 && response.status !== 404) throw new Error(`${url}: status ${response.status}: ${response.raw.slice(0, 300)}`);
    if (!ERROR_CODES.has(String(body.error?.code)) || typeof body.error?.message !== 'string') throw new Error(`${url}: error body ${response.raw.slice(0, 300)}`);
  });
  const parameters = fuzzParameters(300);
  const details = await fc.check(property, parameters);
  const report = details.failed ? `${details.errorInstance instanceof Error ? details.errorInstance.message : ''}\n${fc.defaultReportMessage(details) ?? ''}\nreplay with FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? ''}` : null;
  t.equal(report, null, `${parameters.numRuns} requests from seed ${details.seed}; statuses ${JSON.stringify(Object.fromEntries(seen))}`);
  t.ok((seen.get(200) ?? 0) > 0 && (seen.get(400) ?? 0) > 0, 'both answers and refusals were exercised');
});

t.test('attr.__proto__=VALUE filters like any other attribute (regression: it was dropped and every trace matched)', async (t) => {
  const api = await setUpApiTest(t);
  const start = new Date(Date.now() - 120_000);
  await api.write(api.siteA, awkwardTrace(api.siteA, new Date(start.getTime() + 60_000)).rows);
  const all = await api.get(`/api/v1/traces?start=${start.getTime()}`);
  t.equal((all.body as { traces: unknown[] }).traces.length, 1, 'the trace is there');
  const filtered = await api.get(`/api/v1/traces?start=${start.getTime()}&attr.__proto__=no-span-has-this`);
  t.equal(filtered.status, 200);
  t.same((filtered.body as { traces: unknown[] }).traces, [], 'no span has an attribute "__proto__", so no trace matches');
});

t.test('a path with a bad percent-encoding gets the documented error body (regression: Fastify\'s own FST_ERR_BAD_URL body)', async (t) => {
  const api = await setUpApiTest(t);
  for (const url of ['/api/v1/services/%FF/operations', '/api/v1/traces/%E0%A4']) {
    const response = await api.get(url);
    t.equal(response.status, 400, url);
    t.same(response.body, { error: { code: 'INVALID_ARGUMENT', message: String((response.body as { error?: { message?: unknown } }).error?.message) } }, `${url}: ${response.raw}`);
  }
});
