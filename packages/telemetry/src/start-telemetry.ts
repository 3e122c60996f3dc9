import { readFileSync } from 'node:fs';
import path from 'node:path';

let sdk: { shutdown(): Promise<void> } | undefined;

/**
 * Starts the OpenTelemetry Node SDK, configured by the standard OTEL_* variables (endpoint,
 * protocol http/protobuf, http/json or grpc, sampler, OTEL_SDK_DISABLED). Services load it first,
 * with `node --require @shop/telemetry/register`, so no span is started before it is there.
 *
 * Every span comes from our own packages, not from instrumentation packages (decision 0011):
 * HTTP from @shop/http, statements from @shop/db, messages from @shop/messaging, because the
 * outbox separates the moment a message is produced from the moment it is published.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || env.OTEL_SDK_DISABLED === 'true') return false;
  // Only traces are collected here; without these the SDK would also push metrics and logs to a
  // collector that does not take them.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_SERVICE_NAME ??= serviceNameFromEntryPoint();
  env.OTEL_EXPORTER_OTLP_ENDPOINT ??= 'http://localhost:4318';

  // Loaded only when tracing is on: the SDK with its exporters costs each service about 20 MB of
  // memory (docs/performance.md), which a service with tracing off keeps.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createNodeSdk } = require('./node-sdk') as typeof import('./node-sdk');
  sdk = createNodeSdk({
    serviceVersion: serviceVersion(),
    environment: env.DEPLOYMENT_ENVIRONMENT ?? 'development',
  });
  return true;
}

/**
 * Flushes buffered spans and stops exporting; part of every service's graceful shutdown. Bounded:
 * with the collector unreachable the exporter retries for several seconds, which would eat most of
 * the service's shutdown budget for spans that cannot be delivered anyway.
 */
export async function shutdownTelemetry(timeoutMs = 2_000): Promise<void> {
  const running = sdk;
  sdk = undefined;
  if (!running) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    running.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

/** services/<name>/dist/src/main.js → <name>, so a plain `node --require` needs no extra setting. */
function serviceNameFromEntryPoint(): string {
  const entry = process.argv[1] ?? '';
  const match = /services[\\/]([^\\/]+)[\\/]/.exec(entry);
  return match?.[1] ?? path.basename(entry, '.js');
}

function serviceVersion(): string {
  try {
    const manifest = path.resolve(path.dirname(process.argv[1] ?? '.'), '..', '..', 'package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
