import { percentiles } from '@shop/load/dist/src/latency-stats';
import {
  resourcesBetween,
  sampleServices,
  watchMemory,
  type MemoryFootprint,
  type ServiceResources,
} from '@shop/load/dist/src/service-resources';
import type { BenchEnvironment } from './bench-environment';
import { sagaStep } from './saga-capacity';

export type TracingSettingName = 'off' | 'on' | 'sampled';

interface TracingSetting {
  name: TracingSettingName;
  label: string;
  tracing: boolean;
  env: Record<string, string>;
}

const SETTINGS: TracingSetting[] = [
  { name: 'off', label: 'tracing off', tracing: false, env: {} },
  { name: 'on', label: 'every order traced', tracing: true, env: {} },
  {
    name: 'sampled',
    label: 'one order in ten traced',
    tracing: true,
    // Parent-based: a sampled order is still one whole trace.
    env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
];

export interface TracingComparison {
  /** Completed sagas/s of each saturating step, per setting, in the order run. */
  completedPerSecond: Record<TracingSettingName, number[]>;
  /** The services' resources and memory footprint during the first step with every order traced. */
  tracedResources: ServiceResources[];
  footprintOn: MemoryFootprint;
}

/**
 * Saga capacity with tracing off, on and sampled, in `rounds` rounds of one saturating step each,
 * the services restarted (fresh processes) before every step. The order rotates from round to
 * round, so each setting runs first, second and third once in three rounds: the databases grow
 * from step to step and a fixed order would favour whichever setting ran first. One step alone
 * varies by 10-20% on a shared 2-core machine, which is as large as the effect being measured.
 */
export async function compareTracing(
  environment: BenchEnvironment,
  repoRoot: string,
  {
    rate,
    stepSeconds,
    rounds,
    say,
    betweenSteps,
  }: { rate: number; stepSeconds: number; rounds: number; say: (line: string) => void; betweenSteps: () => Promise<void> },
): Promise<TracingComparison> {
  const completedPerSecond: Record<TracingSettingName, number[]> = { off: [], on: [], sampled: [] };
  let traced: { resources: ServiceResources[]; footprint: MemoryFootprint } | undefined;
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < SETTINGS.length; i += 1) {
      const setting = SETTINGS[(round + i) % SETTINGS.length]!;
      await environment.start(repoRoot, setting.tracing, setting.env);
      await betweenSteps();
      const watched = setting.name === 'on' && !traced ? { memory: watchMemory(sampleServices()), before: sampleServices() } : undefined;
      const exportedBefore = environment.receiver.bytes;
      const step = await sagaStep(environment.orderUrl, rate, stepSeconds);
      if (watched) traced = { resources: resourcesBetween(watched.before, sampleServices()), footprint: watched.memory.stop() };
      completedPerSecond[setting.name].push(step.sagas.completedPerSecond);
      const spans = setting.tracing ? `; ${((environment.receiver.bytes - exportedBefore) / 1e6).toFixed(1)} MB of spans` : '';
      say(`  round ${round + 1}, ${setting.label.padEnd(23)} ${step.sagas.completedPerSecond.toFixed(1)} completed/s${spans}`);
    }
  }
  if (!traced) throw new Error('no step with every order traced ran');
  return { completedPerSecond, tracedResources: traced.resources, footprintOn: traced.footprint };
}

/** The middle step (nearest rank: with an even number of rounds, the lower of the two middle ones). */
export const median = (values: number[]): number => percentiles(values).p50;

/** "98.2/s (93.1-104.0)": the median of the steps and their range. */
export function describeSteps(values: number[]): string {
  return `${median(values).toFixed(1)}/s (${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)})`;
}
