// Retention in the configuration: JUSTANALYTICS_RETENTION_DAYS is every
// signal's default, JUSTANALYTICS_<SIGNAL>_RETENTION_DAYS sets one apart, and
// the store's queue bound has the store's default.
import t from 'tap';
import { ConfigError, readConfig } from '../src/config.ts';
import { STORE_DEFAULTS } from '../src/store/postgres-sink.ts';

t.test('defaults', async (t) => {
  const config = readConfig({}, {});
  t.equal(config.retentionDays, 30);
  t.same(config.signalRetentionDays, {});
  t.equal(config.analyticsRollupRetentionDays, 800, 'analytics rollups: their own, longer default');
  t.equal(config.maxQueuedRows, STORE_DEFAULTS.maxQueuedRows);
});

t.test('a signal of its own', async (t) => {
  const config = readConfig({}, { JUSTANALYTICS_RETENTION_DAYS: '90', JUSTANALYTICS_TRACES_RETENTION_DAYS: '7' });
  t.equal(config.retentionDays, 90);
  t.same(config.signalRetentionDays, { traces: 7 });
  t.same(readConfig({}, { JUSTANALYTICS_LOGS_RETENTION_DAYS: '3' }).signalRetentionDays, { logs: 3 }, 'logs too');
  t.same(readConfig({}, { JUSTANALYTICS_METRICS_RETENTION_DAYS: '90' }).signalRetentionDays, { metrics: 90 }, 'metrics too');
  t.same(readConfig({}, { JUSTANALYTICS_EVENTS_RETENTION_DAYS: '60' }).signalRetentionDays, { events: 60 }, 'analytics events too');
  t.throws(() => readConfig({}, { JUSTANALYTICS_TRACES_RETENTION_DAYS: '0' }), ConfigError);
  t.throws(() => readConfig({}, { JUSTANALYTICS_TRACES_RETENTION_DAYS: 'week' }), /JUSTANALYTICS_TRACES_RETENTION_DAYS/);
});

t.test('the analytics rollups keep their own retention, not the signals’ default', async (t) => {
  t.equal(readConfig({}, { JUSTANALYTICS_RETENTION_DAYS: '7' }).analyticsRollupRetentionDays, 800);
  t.equal(readConfig({}, { JUSTANALYTICS_ANALYTICS_ROLLUP_RETENTION_DAYS: '400' }).analyticsRollupRetentionDays, 400);
  t.throws(() => readConfig({}, { JUSTANALYTICS_ANALYTICS_ROLLUP_RETENTION_DAYS: '0' }), /JUSTANALYTICS_ANALYTICS_ROLLUP_RETENTION_DAYS/);
});

t.test('the analytics rollup job runs every minute unless configured', async (t) => {
  t.equal(readConfig({}, {}).analyticsRollupIntervalSeconds, 60);
  t.equal(readConfig({}, { JUSTANALYTICS_ANALYTICS_ROLLUP_INTERVAL_SECONDS: '300' }).analyticsRollupIntervalSeconds, 300);
  t.throws(() => readConfig({}, { JUSTANALYTICS_ANALYTICS_ROLLUP_INTERVAL_SECONDS: '0' }), /JUSTANALYTICS_ANALYTICS_ROLLUP_INTERVAL_SECONDS/);
});
