import type { Check } from './bench-check';
import type { BenchEnvironment } from './bench-environment';
import {
  completedPerSecond,
  cpuPerSaga,
  describeCpuPair,
  describeFootprint,
  describeSteps,
  median,
  rotateSettings,
  type ComparisonOptions,
  type ServiceSetting,
  type SettingsComparison,
} from './setting-rounds';

type ReplicasSettingName = 'one' | 'two';

const SETTINGS: Array<ServiceSetting<ReplicasSettingName>> = [
  { name: 'one', label: 'one process of each service', env: {}, replicas: 1 },
  { name: 'two', label: 'two of each participant', env: {}, replicas: 2 },
];

export type ReplicasComparison = SettingsComparison<ReplicasSettingName>;

/**
 * Saga capacity with one process of each service and with two of each participant (the order
 * service stays one), in `rounds` rounds of one saturating step each, the order rotating and the
 * services restarted before every step (rotateSettings). On a machine whose cores are all busy
 * more processes are not expected to add throughput; this says what they cost, and where.
 */
export async function compareReplicas(
  environment: BenchEnvironment,
  repoRoot: string,
  options: ComparisonOptions,
): Promise<ReplicasComparison> {
  const steps = await rotateSettings(environment, repoRoot, SETTINGS, { ...options, watchMemoryOf: ['one', 'two'] });
  const footprintOf = (name: ReplicasSettingName) => {
    const footprint = steps[name][0]?.footprint;
    if (!footprint) throw new Error(`no step with ${name} ran`);
    return footprint;
  };
  return {
    rate: options.rate,
    stepSeconds: options.stepSeconds,
    completedPerSecond: { one: completedPerSecond(steps.one), two: completedPerSecond(steps.two) },
    cpuMsPerSaga: { one: steps.one.map(cpuPerSaga), two: steps.two.map(cpuPerSaga) },
    footprint: { one: footprintOf('one'), two: footprintOf('two') },
  };
}

/** What is reported: capacity with two replicas of each participant against one, CPU per saga by part and memory. */
export function replicasChecks(comparison: ReplicasComparison): Check[] {
  const one = median(comparison.completedPerSecond.one);
  const two = median(comparison.completedPerSecond.two);
  return [
    {
      what: 'saga capacity, two of each participant against one',
      measured: `${describeSteps(comparison.completedPerSecond.two)} vs ${describeSteps(comparison.completedPerSecond.one)} = ${(one > 0 ? two / one : NaN).toFixed(2)} x (medians)`,
      target: 'reported',
      ok: null,
    },
    {
      what: 'CPU ms per completed saga, one / two of each participant',
      measured: `${describeCpuPair(comparison.cpuMsPerSaga.one, comparison.cpuMsPerSaga.two)} (medians of the steps)`,
      target: 'reported',
      ok: null,
    },
    {
      what: 'the services, one / two of each participant',
      measured: `shared pages counted once ${describeFootprint(comparison.footprint.one)} / ${describeFootprint(comparison.footprint.two)} (first step of each)`,
      target: 'reported',
      ok: null,
    },
  ];
}
