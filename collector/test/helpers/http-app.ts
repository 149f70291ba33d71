// Builds an OTLP/HTTP receiver (not listening) for app.inject() tests.
import type { FastifyInstance } from 'fastify';
import { createOtlpHttpServer } from '../../src/receivers/otlp-http.ts';
import type { OtlpHttpOptions } from '../../src/receivers/otlp-http.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import { keys, silentLogger } from './fixtures.ts';

export async function buildHttpApp(options: Partial<OtlpHttpOptions> = {}): Promise<{ app: FastifyInstance; sink: MemorySink }> {
  const sink = options.sink instanceof MemorySink ? options.sink : new MemorySink();
  const app = await createOtlpHttpServer({ keys, logger: silentLogger, ...options, sink: options.sink ?? sink });
  return { app, sink };
}
