import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { runtimeInstrumentation } from './runtime-metrics';

/**
 * Metrics without the rest of the SDK, for a service with traces off: a MeterProvider whose
 * Prometheus exporter serves OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT, and the
 * runtime instrumentation. The Node SDK would also install its context manager and propagators,
 * which make every `context.with` of the message and request paths do work that only traces use
 * (docs/performance.md, "Metrics cost").
 *
 * @public Loaded lazily (a `require` in start-telemetry), only when metrics are on and traces off.
 */
export function startMetricsOnly({
  serviceName,
  serviceVersion,
  environment,
  host,
  port,
}: {
  serviceName: string;
  serviceVersion: string;
  environment: string;
  host: string | undefined;
  port: number | undefined;
}): { shutdown(): Promise<void> } {
  const exporter = new PrometheusExporter({ host, port });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': serviceName,
      'service.version': serviceVersion,
      'deployment.environment.name': environment,
    }),
    readers: [exporter],
  });
  metrics.setGlobalMeterProvider(provider);
  const runtime = runtimeInstrumentation();
  runtime.setMeterProvider(provider);
  return {
    async shutdown() {
      runtime.disable();
      await provider.shutdown();
    },
  };
}
