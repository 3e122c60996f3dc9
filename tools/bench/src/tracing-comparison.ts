import type { MemoryFootprint, ServiceResources } from '@shop/load/dist/src/service-resources';
import type { Check } from './bench-check';
import type { BenchEnvironment } from './bench-environment';
import { completedPerSecond, describeSteps, median, rotateSettings, type ComparisonOptions, type ServiceSetting } from './setting-rounds';

type TracingSettingName = 'off' | 'on' | 'sampled';

/** Spans only: metrics stay off in every setting, so the figures are tracing's cost alone. */
const TRACED = { OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'none' };

const SETTINGS: Array<ServiceSetting<TracingSettingName>> = [
  { name: 'off', label: 'tracing off', env: { OTEL_SDK_DISABLED: 'true' } },
  { name: 'on', label: 'every order traced', env: TRACED },
  {
    name: 'sampled',
    label: 'one order in ten traced',
    // Parent-based: a sampled order is still one whole trace.
    env: { ...TRACED, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
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
 * Saga capacity with tracing off, on and sampled (metrics off throughout), in `rounds` rounds of
 * one saturating step each (rotateSettings: the order rotating, the services restarted before
 * every step). Spans go to the environment's receiver, which counts their bytes.
 */
export async function compareTracing(
  environment: BenchEnvironment,
  repoRoot: string,
  options: ComparisonOptions,
): Promise<TracingComparison> {
  const steps = await rotateSettings(environment, repoRoot, SETTINGS, {
    ...options,
    watchMemoryOf: ['on'],
    beside: (setting) => {
      if (setting.name === 'off') return undefined;
      const exportedBefore = environment.receiver.bytes;
      return { end: async () => ({ line: `; ${((environment.receiver.bytes - exportedBefore) / 1e6).toFixed(1)} MB of spans` }) };
    },
  });
  const traced = steps.on[0];
  if (!traced?.footprint) throw new Error('no step with every order traced ran');
  return {
    completedPerSecond: {
      off: completedPerSecond(steps.off),
      on: completedPerSecond(steps.on),
      sampled: completedPerSecond(steps.sampled),
    },
    tracedResources: traced.resources,
    footprintOn: traced.footprint,
  };
}

/** Issue 20's target 5: every order traced costs at most 15% of saga capacity, one in ten at most 5%. */
export function tracingChecks({ completedPerSecond: steps }: TracingComparison): Check[] {
  const off = median(steps.off);
  const against = (name: 'on' | 'sampled', floor: number, what: string): Check => {
    const ratio = median(steps[name]) / off;
    return {
      what,
      measured: `${describeSteps(steps[name])} vs ${describeSteps(steps.off)} = ${ratio.toFixed(2)} x (medians)`,
      target: `>= ${floor} x`,
      ok: ratio >= floor,
    };
  };
  return [against('on', 0.85, 'saga capacity with tracing on vs off'), against('sampled', 0.95, 'the same, one order in ten sampled')];
}
