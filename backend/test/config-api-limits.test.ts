// The query API's caps in the configuration: JUSTANALYTICS_API_MAX_TRACE_SPANS,
// JUSTANALYTICS_API_MAX_TRACE_LOGS and JUSTANALYTICS_API_MAX_SPAN_SEARCH_HOURS
// default to the API's own limits, are validated, and reach the running API.
import t from 'tap';
import { API_LIMIT_DEFAULTS } from '../src/api/limits.ts';
import { ConfigError, readConfig } from '../src/config.ts';
import { startTestServer } from './helpers/test-server.ts';

t.test('defaults and overrides', async (t) => {
  const defaults = readConfig({}, {});
  t.equal(defaults.apiMaxTraceSpans, API_LIMIT_DEFAULTS.maxTraceSpans);
  t.equal(defaults.apiMaxTraceLogs, API_LIMIT_DEFAULTS.maxTraceLogs);
  t.equal(defaults.apiMaxSpanSearchHours, API_LIMIT_DEFAULTS.maxSpanSearchHours);
  const set = readConfig({}, { JUSTANALYTICS_API_MAX_TRACE_SPANS: '50', JUSTANALYTICS_API_MAX_TRACE_LOGS: '40', JUSTANALYTICS_API_MAX_SPAN_SEARCH_HOURS: '24' });
  t.same([set.apiMaxTraceSpans, set.apiMaxTraceLogs, set.apiMaxSpanSearchHours], [50, 40, 24]);
  t.throws(() => readConfig({}, { JUSTANALYTICS_API_MAX_TRACE_LOGS: '0' }), ConfigError);
  t.throws(() => readConfig({}, { JUSTANALYTICS_API_MAX_TRACE_LOGS: 'many' }), /JUSTANALYTICS_API_MAX_TRACE_LOGS/);
});

t.test('the running API takes them', async (t) => {
  const server = await startTestServer(t, { apiMaxTraceSpans: 5, apiMaxTraceLogs: 3 });
  const traceId = 'ab'.repeat(16);
  t.equal((await server.api(`/api/v1/traces/${traceId}/logs?limit=3`)).status, 200, 'up to the trace-logs cap');
  t.equal((await server.api(`/api/v1/traces/${traceId}/logs?limit=4`)).status, 400, 'past it');
  t.equal((await server.api(`/api/v1/traces/${traceId}?limit=6`)).status, 400, 'past the trace-spans cap');
});
