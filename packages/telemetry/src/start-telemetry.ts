import { readFileSync } from 'node:fs';
import path from 'node:path';

let sdk: { shutdown(): Promise<void> } | undefined;

/**
 * Starts the OpenTelemetry Node SDK, configured by the standard OTEL_* variables (endpoint,
 * protocol http/protobuf, http/json or grpc, sampler, OTEL_SDK_DISABLED). Services load it first,
 * with `node --require @shop/telemetry/register`, so no span is started and no instrument is
 * made before it is there (the metrics API has no proxy: a meter taken earlier stays a no-op).
 *
 * Metrics are served for Prometheus to scrape (OTEL_METRICS_EXPORTER=prometheus, the default
 * here) on OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT (localhost:9464 unless
 * set), at /metrics; `none` turns them off, `otlp` pushes them instead (docs/metrics.md).
 *
 * Every span comes from our own packages, not from instrumentation packages (decision 0011):
 * HTTP from @shop/http, statements from @shop/db, messages from @shop/messaging, because the
 * outbox separates the moment a message is produced from the moment it is published.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || env.OTEL_SDK_DISABLED === 'true') return false;
  // Logs go to stdout (pino), not through the SDK: without this it would push them to a collector.
  env.OTEL_METRICS_EXPORTER ??= 'prometheus';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_SERVICE_NAME ??= serviceNameFromEntryPoint();
  env.OTEL_EXPORTER_OTLP_ENDPOINT ??= 'http://localhost:4318';

  const exporters = (variable: string | undefined) => (variable ?? '').split(',').map((name) => name.trim());
  const metricsOn = !exporters(env.OTEL_METRICS_EXPORTER).includes('none');
  const tracesOff = exporters(env.OTEL_TRACES_EXPORTER).includes('none');
  const environment = env.DEPLOYMENT_ENVIRONMENT ?? 'development';

  // Loaded only when they are needed: the Node SDK with its exporters costs each service about
  // 20 MB of memory (docs/performance.md), which a service with OTEL_SDK_DISABLED keeps, and with
  // traces off and metrics scraped by Prometheus the metrics SDK alone is enough.
  if (tracesOff && metricsOn && exporters(env.OTEL_METRICS_EXPORTER).every((name) => name === 'prometheus')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startMetricsOnly } = require('./metrics-only') as typeof import('./metrics-only');
    const port = Number(env.OTEL_EXPORTER_PROMETHEUS_PORT);
    sdk = startMetricsOnly({
      serviceName: env.OTEL_SERVICE_NAME,
      serviceVersion: serviceVersion(),
      environment,
      host: env.OTEL_EXPORTER_PROMETHEUS_HOST || undefined,
      port: Number.isInteger(port) && port > 0 ? port : undefined,
    });
    return true;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createNodeSdk } = require('./node-sdk') as typeof import('./node-sdk');
  sdk = createNodeSdk({ serviceVersion: serviceVersion(), environment, metrics: metricsOn });
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
