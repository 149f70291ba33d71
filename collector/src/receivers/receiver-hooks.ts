import type { FastifyInstance } from 'fastify';

/**
 * Node's server.close() waits for every connection, and a kept-alive one whose
 * request was running at close time would hold it open until the client's
 * idle timeout: responses sent once closing has begun close their connection.
 */
export function closeConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
}

/**
 * Bodies stay raw streams whatever their type: each route checks the type and
 * reads the body only when it is ready for it (after authentication),
 * inflated, capped and reserved by readBody. Fastify never parses one.
 */
export function keepBodiesRaw(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => {
    done(null, payload);
  });
}
