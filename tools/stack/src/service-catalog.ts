/** The five services in start-up and port order: service i listens on STACK_BASE_PORT + i. */
export const SERVICE_NAMES = ['order', 'inventory', 'payment', 'warehouse', 'email'] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * The node arguments every service runs with, kept here only. The telemetry bootstrap is
 * required before the service's own code, so it loads before express, pg and amqplib.
 */
export const SERVICE_NODE_ARGS: readonly string[] = ['--enable-source-maps', '--require', '@shop/telemetry/register'];

/** A service's built entry point, relative to the repository root. */
export function serviceEntryPoint(name: ServiceName): string {
  return `services/${name}/dist/src/main.js`;
}
