// Not a test: the program that collector-process.ts runs as a child, so that
// a test can measure a collector's memory from outside (/proc/<pid>/status)
// while attacking it. Options come as JSON in argv[2]; the bound ports are
// written to stdout as one JSON line. It stops on SIGTERM.
import { createCollector } from '../../src/receivers/collector.ts';
import type { CollectorOptions } from '../../src/receivers/collector.ts';
import { NopSink } from '../../src/sink/nop-sink.ts';
import { keys, silentLogger } from './fixtures.ts';

type ChildOptions = Omit<CollectorOptions, 'sink' | 'keys' | 'logger'>;

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const collector = createCollector({ host: '127.0.0.1', httpPort: 0, grpcPort: 0, ...options, sink: new NopSink(), keys, logger: silentLogger });
const ports = await collector.start();
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.once('SIGTERM', () => {
  void collector.shutdown().then(() => process.exit(0));
});
