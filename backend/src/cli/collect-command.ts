import { startCollect, type RunningCollector } from '../collect.ts';
import { UsageError, type CommandContext } from './command-context.ts';
import { firstRunBanner } from './first-run-banner.ts';
import { checkListeners, explainListenFailure, OTLP_GRPC_LISTENER, OTLP_HTTP_LISTENER } from './listen-check.ts';
import { runUntilSignal } from './run-until-signal.ts';

/** `collect`: the receivers only (OTLP/HTTP with /healthz and /readyz, OTLP/gRPC), any number on one database. */
export async function runCollectCommand(context: CommandContext): Promise<number> {
  const { config, logger } = context;
  if (!config.ingest) throw new UsageError('collect is the receivers: --no-ingest is for serve');
  const listeners = [
    { ...OTLP_HTTP_LISTENER, port: config.otlpHttpPort },
    { ...OTLP_GRPC_LISTENER, port: config.otlpGrpcPort },
  ];
  await checkListeners(config.host, listeners);
  let collector: RunningCollector;
  try {
    collector = await startCollect(config, logger);
  } catch (error) {
    throw explainListenFailure(error, config.host, listeners);
  }
  if (collector.createdDefaultSite) context.out(firstRunBanner(collector.createdDefaultSite, config.host, { ...collector, apiPort: null }));
  await runUntilSignal(logger, () => collector.shutdown());
  return 0;
}
