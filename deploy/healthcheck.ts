// The image's HEALTHCHECK: exits 0 when /healthz answers 200. One image runs
// every role, so it asks the API port, and when nothing listens there (the
// `collect` role serves no API) the OTLP/HTTP port, which has /healthz too.
// Ports come from the same environment variables the server reads; a port
// given by flag instead must be given to the container's healthcheck too.
const host = healthHost(process.env.JUSTANALYTICS_HOST);
const ports = [process.env.JUSTANALYTICS_API_PORT || '8080', process.env.JUSTANALYTICS_OTLP_HTTP_PORT || '4318'];

function healthHost(listen: string | undefined): string {
  if (listen === undefined || listen === '' || listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '::') return '[::1]';
  return listen.includes(':') ? `[${listen}]` : listen;
}

async function check(): Promise<number> {
  for (const port of ports) {
    let response: Response;
    try {
      response = await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
    } catch (error) {
      // Refused: this role does not listen here; try the next port. Anything else is an answer.
      if (refused(error)) continue;
      process.stderr.write(`healthcheck: ${host}:${port}: ${(error as Error).message}\n`);
      return 1;
    }
    await response.arrayBuffer();
    if (response.status === 200) return 0;
    process.stderr.write(`healthcheck: ${host}:${port}/healthz answered ${response.status}\n`);
    return 1;
  }
  process.stderr.write(`healthcheck: nothing listens on ${host} ports ${ports.join(', ')}\n`);
  return 1;
}

function refused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}

process.exitCode = await check();
