import type { FastifyReply } from 'fastify';

/**
 * OTLP's TracesData and LogsData have no field to say that items were left
 * out, so an answer capped at a limit says it in three headers, on every
 * answer: whether it was cut, how many items are stored, how many came back.
 */
export interface CappedResult {
  truncated: string;
  total: string;
  returned: string;
  /** The headers' response schema, for the route's OpenAPI entry. */
  schema: Record<string, { type: 'string'; enum?: string[]; pattern?: string; description: string }>;
  /** A sentence for the route's description naming the headers. */
  described: string;
  send(reply: FastifyReply, total: number, returned: number): void;
}

/** The headers `x-<prefix>-truncated`, `x-<prefix>-total-<items>` and `x-<prefix>-returned-<items>`. */
export function cappedResult(prefix: string, items: string): CappedResult {
  const truncated = `x-${prefix}-truncated`;
  const total = `x-${prefix}-total-${items}`;
  const returned = `x-${prefix}-returned-${items}`;
  return {
    truncated,
    total,
    returned,
    schema: {
      [truncated]: { type: 'string', enum: ['true', 'false'], description: `true when ${items} were left out` },
      [total]: { type: 'string', pattern: '^[0-9]+$', description: `${items} stored` },
      [returned]: { type: 'string', pattern: '^[0-9]+$', description: `${items} in this answer` },
    },
    described: `When ${items} were left out, ${truncated} is true; ${total} and ${returned} count the ${items} stored and returned.`,
    send(reply, totalCount, returnedCount) {
      void reply.header(truncated, String(returnedCount < totalCount));
      void reply.header(total, String(totalCount));
      void reply.header(returned, String(returnedCount));
    },
  };
}
