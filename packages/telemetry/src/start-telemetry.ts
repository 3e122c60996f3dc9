import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';

let sdk: NodeSDK | undefined;

const quietPaths = new Set(['/healthz', '/readyz']);

/**
 * Starts the OpenTelemetry Node SDK, configured by the standard OTEL_* variables (endpoint,
 * protocol http/protobuf, http/json or grpc, sampler, OTEL_SDK_DISABLED). Must run before express,
 * pg or amqplib is loaded: services load it with `node --require @shop/telemetry/register`.
 *
 * Messaging spans are not from instrumentation-amqplib but from @shop/messaging itself, because
 * the outbox separates the moment a message is produced from the moment it is published.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || env.OTEL_SDK_DISABLED === 'true') return false;
  // Only traces are collected here; without these the SDK would also push metrics and logs to a
  // collector that does not take them.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_SERVICE_NAME ??= serviceNameFromEntryPoint();
  env.OTEL_EXPORTER_OTLP_ENDPOINT ??= 'http://localhost:4318';

  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.version': serviceVersion(),
      'deployment.environment.name': env.DEPLOYMENT_ENVIRONMENT ?? 'development',
    }),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => quietPaths.has((request.url ?? '').split('?')[0] ?? ''),
      }),
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      // Only queries inside a request or a message: the relay's and the deadline watcher's polling
      // would otherwise fill Jaeger with one-span traces.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
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
