import { createServer } from 'node:net';
import { UsageError } from './command-context.ts';

/** A port a role listens on, with how to choose another. */
export interface Listener {
  port: number;
  what: string;
  flag: string;
  env: string;
}

export const OTLP_HTTP_LISTENER = { what: 'OTLP/HTTP', flag: '--otlp-http-port', env: 'JUSTANALYTICS_OTLP_HTTP_PORT' } as const;
export const OTLP_GRPC_LISTENER = { what: 'OTLP/gRPC', flag: '--otlp-grpc-port', env: 'JUSTANALYTICS_OTLP_GRPC_PORT' } as const;
export const API_LISTENER = { what: 'API', flag: '--api-port', env: 'JUSTANALYTICS_API_PORT' } as const;

/**
 * Checks, before the database starts, that every fixed port is free: a taken
 * port is the commonest first-run failure, and it should cost a line, not a
 * PostgreSQL start and stop. Two listeners on one port are a usage error.
 */
export async function checkListeners(host: string, listeners: readonly Listener[]): Promise<void> {
  for (const [index, listener] of listeners.entries()) {
    const twin = listeners.slice(index + 1).find((other) => other.port === listener.port && listener.port !== 0);
    if (twin !== undefined) throw new UsageError(`the ${listener.what} and ${twin.what} ports are both ${listener.port}: give ${twin.flag} another`);
  }
  for (const listener of listeners) if (listener.port !== 0) await checkFree(host, listener);
}

/** A start that failed because a port was taken between the check and the listen, as the check's one line. */
export function explainListenFailure(error: unknown, host: string, listeners: readonly Listener[]): unknown {
  const taken = listeners.find((listener) => listener.port !== 0 && isAddressInUse(error, listener.port));
  return taken === undefined ? error : new Error(listenFailure(host, taken, 'EADDRINUSE'), { cause: error });
}

/** Listens on the port for a moment; fails with one line saying what to do when it cannot. */
function checkFree(host: string, listener: Listener): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new Error(listenFailure(host, listener, error.code), { cause: error })));
    probe.listen({ host, port: listener.port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function listenFailure(host: string, { port, what, flag, env }: Listener, code: string | undefined): string {
  const choose = `choose another with ${flag} or ${env}`;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use (${what} on ${host}): stop what uses it, or ${choose}`;
    case 'EACCES':
      return `cannot listen on port ${port} (${what} on ${host}): ports below 1024 need privileges; ${choose}`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: it is not an address of this machine; choose another with --host or JUSTANALYTICS_HOST`;
    default:
      return `cannot listen on port ${port} (${what} on ${host}, ${code ?? 'unknown error'}): ${choose}`;
  }
}

function isAddressInUse(error: unknown, port: number): boolean {
  if (!(error instanceof Error)) return false;
  const { code, port: errorPort } = error as NodeJS.ErrnoException & { port?: number };
  if (code === 'EADDRINUSE') return errorPort === port;
  // grpc-js reports a failed bind in its message only.
  return /EADDRINUSE|address already in use/i.test(error.message) && error.message.includes(`:${port}`);
}
