// What the real configuration makes of a deployed process's environment:
// which listener each container port is, read by backend/src/config.ts itself.
import { readConfig, type Config } from '../../../backend/src/config.ts';
import type { DeployedProcess } from './deploy-files.ts';

export type Listener = 'otlpHttp' | 'otlpGrpc' | 'api';

/** The environment with what only a cluster can fill in (secrets, compose interpolation) made concrete. */
export function concreteEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      value.startsWith('<secret ') ? 'postgres://user:password@database.invalid:5432/justanalytics' : value.replace(/\$\{\w+:-([^}]*)\}/g, '$1'),
    ]),
  );
}

export function configOf(process: DeployedProcess): Config {
  return readConfig({}, concreteEnv(process.env));
}

/** The listener a container port is, by the process's configuration; null when it is none. */
export function listenerAt(config: Config, port: number): Listener | null {
  if (port === config.otlpHttpPort) return 'otlpHttp';
  if (port === config.otlpGrpcPort) return 'otlpGrpc';
  if (port === config.apiPort) return 'api';
  return null;
}

export const portVariables: Record<Listener, string> = {
  otlpHttp: 'JUSTANALYTICS_OTLP_HTTP_PORT',
  otlpGrpc: 'JUSTANALYTICS_OTLP_GRPC_PORT',
  api: 'JUSTANALYTICS_API_PORT',
};
