import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { runtimeInstrumentation } from './runtime-metrics';

/**
 * The started SDK: trace and metric exporters, sampler and processor from the standard OTEL_*
 * variables. The one instrumentation package is the runtime's (event loop delay, heap; not GC, see
 * runtime-metrics.ts), when metrics are exported: the HTTP server spans and metrics come from
 * @shop/http, the database spans from @shop/db, the messaging and saga spans and metrics from
 * @shop/messaging and @shop/saga (decision 0011).
 *
 * @public Loaded lazily (a `require` in start-telemetry), so a service with the SDK disabled never loads it.
 */
export function createNodeSdk({
  serviceVersion,
  environment,
  metrics,
}: {
  serviceVersion: string;
  environment: string;
  metrics: boolean;
}): NodeSDK {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.version': serviceVersion,
      'deployment.environment.name': environment,
    }),
    instrumentations: metrics ? [runtimeInstrumentation()] : [],
  });
  sdk.start();
  return sdk;
}
