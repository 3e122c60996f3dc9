import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';

const quietPaths = new Set(['/healthz', '/readyz']);

/** The started SDK: exporter, sampler and processor from the standard OTEL_* variables. */
export function createNodeSdk({ serviceVersion, environment }: { serviceVersion: string; environment: string }): NodeSDK {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.version': serviceVersion,
      'deployment.environment.name': environment,
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
  return sdk;
}
