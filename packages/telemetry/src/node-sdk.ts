import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';

const quietPaths = new Set(['/healthz', '/readyz']);

const instrumentations = {
  http: () =>
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => quietPaths.has((request.url ?? '').split('?')[0] ?? ''),
    }),
  express: () => new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
  // Only queries inside a request or a message: the relay's and the deadline watcher's polling
  // would otherwise fill Jaeger with one-span traces. No span per pool checkout: they were a
  // sixth of all spans and say nothing a query span does not (docs/performance.md).
  pg: () => new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
};

/**
 * The started SDK: exporter, sampler and processor from the standard OTEL_* variables, and the
 * instrumentations not named in OTEL_NODE_DISABLED_INSTRUMENTATIONS (comma-separated: http,
 * express, pg), as in @opentelemetry/auto-instrumentations-node. `pg` makes about two thirds of
 * the spans; the messaging and saga spans come from our own packages and stay.
 */
export function createNodeSdk({ serviceVersion, environment, disabled }: { serviceVersion: string; environment: string; disabled: string }): NodeSDK {
  const off = new Set(disabled.split(',').map((name) => name.trim()));
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.version': serviceVersion,
      'deployment.environment.name': environment,
    }),
    instrumentations: Object.entries(instrumentations)
      .filter(([name]) => !off.has(name))
      .map(([, create]) => create()),
  });
  sdk.start();
  return sdk;
}
