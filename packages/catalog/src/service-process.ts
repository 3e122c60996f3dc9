import type { ServiceName } from './service-catalog';

/**
 * The node arguments every service runs with: the native stack spawns it with them, the
 * Dockerfile's CMD and the services' `start` scripts say the same (a test in tools/stack checks),
 * and a new service's package.json is written with them. The telemetry bootstrap is required
 * before the service's own code, so it loads before express, pg and amqplib. The heap limits keep
 * V8 from growing a service's memory lazily under load: with its defaults on this 24 GiB machine
 * each service peaked at 170-340 MB, with these at 94-160 MB with tracing off, at the same saga
 * throughput (docs/performance.md#memory). A service's live data is a few tens of MB: messages in
 * hand are bounded by the prefetch, requests by the pool. No --enable-source-maps: it kept every
 * loaded module's source map in memory (20 MB a service); add it through NODE_OPTIONS when a
 * TypeScript stack trace is worth it.
 */
export const SERVICE_NODE_ARGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--max-old-space-size=128',
  '--require',
  '@shop/telemetry/register',
];

/** A service's built entry point, relative to its folder. */
export const SERVICE_MAIN = 'dist/src/main.js';

/** A service's built entry point, relative to the repository root. */
export function serviceEntryPoint(name: ServiceName): string {
  return `services/${name}/${SERVICE_MAIN}`;
}
