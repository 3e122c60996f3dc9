import { loadConfig, loadConfigOrExit, type BaseServiceConfig, type z } from '@shop/config';
import type { FaultSettings } from '@shop/messaging';
import { runMain } from './run-main';
import { startService, type RunningService, type ServiceDefinition } from './start-service';

type Settings<S extends z.ZodObject> = z.infer<S> & BaseServiceConfig;

/**
 * What every service package exports from its `src/main.ts`, under the name `service`. The stack
 * runs that file as a process; tests start the service in-process with an environment of their
 * own (`startWith`), the end-to-end ones by loading the package by the catalog's name,
 * `@shop/<name>-service`.
 */
export interface ServiceModule<S extends z.ZodObject = z.ZodObject> {
  /** Its name in @shop/catalog. */
  name: string;
  configSchema: S;
  start(config: Settings<S>): Promise<RunningService<Settings<S>>>;
  /** Reads the settings from `env` (failing with every bad one named), then starts. */
  startWith(env: Record<string, string | undefined>): Promise<RunningService<Settings<S>>>;
}

export interface ServiceModuleDefinition<S extends z.ZodObject> extends Omit<ServiceDefinition<Settings<S>>, 'config' | 'faults'> {
  configSchema: S;
  /** The service's demo switches, read from its settings (see ServiceDefinition.faults). */
  faults?: (config: Settings<S>) => FaultSettings;
}

export function defineService<S extends z.ZodObject>({
  configSchema,
  faults,
  ...definition
}: ServiceModuleDefinition<S>): ServiceModule<S> {
  const start = (config: Settings<S>) => startService({ ...definition, config, faults: faults?.(config) });
  return {
    name: definition.name,
    configSchema,
    start,
    startWith: (env) => start(loadConfig(configSchema, env) as Settings<S>),
  };
}

/**
 * Runs the service as this process when `entryModule` (the caller's `module`) is the file node
 * was started with, and does nothing when the file is imported: a service's main.ts is both its
 * entry point and its package's export.
 */
export function runWhenEntryPoint<S extends z.ZodObject>(entryModule: NodeJS.Module, service: ServiceModule<S>): void {
  if (require.main !== entryModule) return;
  const config = loadConfigOrExit(service.name, service.configSchema) as Settings<S>;
  runMain(service.name, () => service.start(config), config.SHUTDOWN_TIMEOUT_MS);
}
