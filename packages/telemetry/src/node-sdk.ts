import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * The started SDK: exporter, sampler and processor from the standard OTEL_* variables. No
 * instrumentation packages: the HTTP server spans come from @shop/http, the database spans from
 * @shop/db, the messaging and saga spans from @shop/messaging and @shop/saga (decision 0011).
 *
 * @public Loaded lazily (a `require` in start-telemetry), so a service with the SDK disabled never loads it.
 */
export function createNodeSdk({ serviceVersion, environment }: { serviceVersion: string; environment: string }): NodeSDK {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.version': serviceVersion,
      'deployment.environment.name': environment,
    }),
    instrumentations: [],
  });
  sdk.start();
  return sdk;
}
