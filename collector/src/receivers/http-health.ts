import type { FastifyPluginAsync } from 'fastify';

/** Resolves when the process can take exports (its storage answers); throws, with the reason, when it cannot. */
export type Readiness = () => Promise<void>;

export interface HttpHealthOptions {
  /** What /readyz checks. Default: none, so ready whenever the port answers. */
  readiness?: Readiness;
  /** How long /readyz waits for `readiness`. Default 2000 ms. */
  readyTimeoutMs?: number;
  /** True once the receiver is shutting down: /readyz then answers 503, so a load balancer stops sending. */
  closing: () => boolean;
}

export const HEALTH_PATHS = ['/healthz', '/readyz'] as const;

/**
 * `/healthz`: the process answers. `/readyz`: and `readiness` resolves in
 * time. For load balancers and orchestrators on the OTLP/HTTP port, so a
 * collector needs no other listener: public (no key), GET only, and not
 * exports (no budget, no in-flight count, no google.rpc.Status bodies).
 * Bodies as the query API's: `{ "status": "ok" }`, else
 * `{ "error": { "code": "UNAVAILABLE", "message" } }`.
 */
export const httpHealthRoutes: FastifyPluginAsync<HttpHealthOptions> = async (app, { readiness, readyTimeoutMs = 2000, closing }) => {
  if (!Number.isSafeInteger(readyTimeoutMs) || readyTimeoutMs <= 0) {
    throw new TypeError(`otlp-http: options.readyTimeoutMs must be a positive integer, got ${String(readyTimeoutMs)}`);
  }
  if (readiness !== undefined && typeof readiness !== 'function') throw new TypeError('otlp-http: options.readiness must be a function');

  // A kept-alive connection answered during shutdown would hold the server's close open: it is closed instead.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    if (closing()) reply.header('connection', 'close');
    return payload;
  });

  app.get('/healthz', async (_request, reply) => reply.code(200).send({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const unready = (message: string) => reply.code(503).send({ error: { code: 'UNAVAILABLE', message } });
    if (closing()) return unready('shutting down');
    if (readiness === undefined) return reply.code(200).send({ status: 'ok' });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    });
    try {
      await Promise.race([readiness(), timeout]);
    } catch (error) {
      request.log.warn({ err: error }, 'not ready');
      return unready('the storage does not answer');
    } finally {
      clearTimeout(timer);
    }
    // Shutdown may have begun while the check ran.
    if (closing()) return unready('shutting down');
    return reply.code(200).send({ status: 'ok' });
  });
};
