import type { FastifyRequest } from 'fastify';

/** The request's media type, lowercase and without parameters ("application/json; charset=utf-8" → "application/json"); '' when none. */
export function mediaType(request: FastifyRequest): string {
  const header = request.headers['content-type'] ?? '';
  const end = header.indexOf(';');
  return (end === -1 ? header : header.slice(0, end)).trim().toLowerCase();
}
