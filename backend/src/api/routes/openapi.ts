import type { FastifyPluginAsync } from 'fastify';

/** GET /openapi.json: the OpenAPI 3.1 document of every route, made by @fastify/swagger. Public. */
export const openApiRoute: FastifyPluginAsync = async (app) => {
  app.get(
    '/openapi.json',
    {
      schema: {
        hide: true,
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async () => app.swagger(),
  );
};
