import type { FastifyPluginAsync } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { UnavailableError } from '../errors.ts';
import { errorResponses } from '../schemas.ts';

export interface HealthRoutesOptions {
  db: Kysely<Database>;
  /** How long /readyz waits for the database; default 2000 ms. */
  readyTimeoutMs?: number;
}

const ok = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok'] } },
} as const;

/** `/healthz`: the process answers. `/readyz`: and so does its database. Both public. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { db, readyTimeoutMs = 2000 }) => {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'], response: { 200: ok } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: the database answers', tags: ['health'], response: { 200: ok, ...errorResponses } } },
    async (request) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${readyTimeoutMs} ms`)), readyTimeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
      } catch (error) {
        request.log.warn({ err: error }, 'database not ready');
        throw new UnavailableError('the database does not answer');
      } finally {
        clearTimeout(timer);
      }
      return { status: 'ok' };
    },
  );
};
