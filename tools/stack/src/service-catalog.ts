import type { ServiceName } from '@shop/catalog';

// The services, in start-up and port order, are @shop/catalog's: service i listens on STACK_BASE_PORT + i.
export { SERVICE_NAMES, type ServiceName } from '@shop/catalog';

/**
 * The node arguments every service runs with (also in the Dockerfile's CMD and the services'
 * `start` scripts). The telemetry bootstrap is required before the service's own code, so it loads
 * before express, pg and amqplib. The heap limits keep V8 from growing a service's memory lazily
 * under load: with its defaults on this 24 GiB machine each service peaked at 170-340 MB, with
 * these at 94-160 MB with tracing off, at the same saga throughput (docs/performance.md#memory). A service's live
 * data is a few tens of MB: messages in hand are bounded by the prefetch, requests by the pool.
 * No --enable-source-maps: it kept every loaded module's source map in memory (20 MB a service);
 * add it through NODE_OPTIONS when a TypeScript stack trace is worth it.
 */
export const SERVICE_NODE_ARGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--max-old-space-size=128',
  '--require',
  '@shop/telemetry/register',
];

/** A service's built entry point, relative to the repository root. */
export function serviceEntryPoint(name: ServiceName): string {
  return `services/${name}/dist/src/main.js`;
}
