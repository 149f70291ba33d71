import type { SignalDescriptor } from '../receivers/signal.ts';
import { logsSignal } from './logs/logs-signal.ts';
import { metricsSignal } from './metrics/metrics-signal.ts';
import { tracesSignal } from './traces/traces-signal.ts';

/**
 * The OTLP signals the collector serves, registered once: the receivers and
 * createCollector default to this list, so a new signal is its folder here
 * and one entry below.
 */
export const otlpSignals: readonly SignalDescriptor[] = [
  tracesSignal,
  // Served by default now that the backend's store has a writer for log rows (store/logs/log-writer.ts).
  logsSignal,
  // One row per data point (MetricPointRow); the backend's store/metrics/ writes them.
  metricsSignal,
];
