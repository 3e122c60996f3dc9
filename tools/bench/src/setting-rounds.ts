import { readFileSync } from 'node:fs';
import type { LoadReport } from '@shop/load/dist/src/load-report';
import { percentiles } from '@shop/load/dist/src/latency-stats';
import { resourcesBetween, watchMemory, type MemoryFootprint, type ServiceResources } from '@shop/load/dist/src/service-resources';
import type { BenchEnvironment } from './bench-environment';
import { startLoadProcess } from './load-process';
import type { ClockWindow } from './profile-share';
import { sagaStep } from './saga-capacity';

/** One way of running the services: the variables (OTEL_* and any other) they are started with. */
export interface ServiceSetting<Name extends string> {
  name: Name;
  label: string;
  env: Record<string, string>;
  /** Processes of each participant (the order service runs one): 1 by default. */
  replicas?: number;
}

/** CPU time used over a step, in seconds. */
export interface StepCpu {
  /** Each of the bench's services, by name. */
  services: Record<string, number>;
  /** The step's load process (startLoadProcess): the load generator and the following of the sagas. */
  load: number;
  /** This process: the SMTP and OTLP sinks and whatever runs beside the step. */
  bench: number;
  /** A process of the step's companion (the metrics scraper), 0 when it has none. */
  companion: number;
  /** The whole machine (/proc/stat, all but idle and iowait): PostgreSQL, RabbitMQ and anything else included. */
  machine: number;
  /** The step's wall-clock time, the wait for its sagas included. */
  wallSeconds: number;
}

export interface SettingStep {
  round: number;
  report: LoadReport;
  /** The services' CPU share and peak RSS over the step, the wait for its sagas included. */
  resources: ServiceResources[];
  cpu: StepCpu;
  /** When the step's CPU count began and ended, on the monotonic clock (a CPU profile's time base). */
  window: ClockWindow;
  /** The services' memory over the step, shared pages counted once: the first step of each setting in `watchMemoryOf`. */
  footprint?: MemoryFootprint;
}

/**
 * Runs beside one step (a scraper, a counter). `end` is called when the step's sagas have
 * finished, inside the step's CPU count: `line` is appended to the step's line, and `cpuSeconds`
 * is the CPU of a process of its own over the step, which the machine's count includes.
 */
export interface StepCompanion {
  end(): Promise<{ line: string; cpuSeconds?: number }>;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** Load run after each restart and before the measured step, outside its time and its CPU count. */
export interface WarmUp {
  /** Orders per second: one the machine keeps up with, so the warm-up leaves no backlog behind. */
  rate: number;
  /** 0: none. */
  seconds: number;
}

/**
 * One saturating step per setting in each of `rounds` rounds, the services restarted (fresh
 * processes, with the setting's variables) before every step, warmed up (`warmUp`: a fresh
 * process runs its hot paths unoptimized until V8 has compiled them, and fills its pools and
 * caches, all of which a short step would count against the setting), and `betweenSteps` run
 * after that, outside the step's time. The order rotates from round to round, so with as many
 * rounds as settings each setting runs first, second, ... once: the databases grow from step to
 * step and a fixed order would favour whichever setting ran first. One step alone varies by 10-20%
 * on a shared 2-core machine, which is as large as the effects these comparisons measure.
 */
export async function rotateSettings<Name extends string>(
  environment: BenchEnvironment,
  repoRoot: string,
  settings: ReadonlyArray<ServiceSetting<Name>>,
  {
    rate,
    stepSeconds,
    rounds,
    say,
    betweenSteps,
    warmUp,
    watchMemoryOf = [],
    beside,
  }: {
    rate: number;
    stepSeconds: number;
    rounds: number;
    say: (line: string) => void;
    betweenSteps: () => Promise<void>;
    warmUp: WarmUp;
    watchMemoryOf?: Name[];
    /** Started right before each step's load, ended once its sagas have finished. */
    beside?: (setting: ServiceSetting<Name>) => StepCompanion | Promise<StepCompanion | undefined> | undefined;
  },
): Promise<Record<Name, SettingStep[]>> {
  const steps = Object.fromEntries(settings.map((setting) => [setting.name, []])) as unknown as Record<Name, SettingStep[]>;
  const labelWidth = Math.max(...settings.map((setting) => setting.label.length));
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < settings.length; i += 1) {
      const setting = settings[(round + i) % settings.length]!;
      await environment.start(repoRoot, setting.env, setting.replicas ?? 1);
      if (warmUp.seconds > 0) await sagaStep(environment.orderUrl, warmUp.rate, warmUp.seconds);
      await betweenSteps();
      const memory =
        watchMemoryOf.includes(setting.name) && steps[setting.name].length === 0 ? watchMemory(environment.sampleServices()) : undefined;
      const companion = await beside?.(setting);
      const load = await startLoadProcess(environment.orderUrl, rate, stepSeconds);
      const before = {
        services: environment.sampleServices(),
        bench: process.cpuUsage(),
        machine: machineBusyTicks(),
        at: performance.now(),
        fromUs: monotonicUs(),
      };
      const { result: report, cpuSeconds: loadSeconds } = await load.finish();
      const ended = await companion?.end();
      const after = environment.sampleServices();
      const window: ClockWindow = { fromUs: before.fromUs, toUs: monotonicUs() };
      const benchUsed = process.cpuUsage(before.bench);
      const cpu: StepCpu = {
        // Summed over a service's processes, when it runs as several replicas.
        services: after.reduce<Record<string, number>>((sum, end) => {
          const start = before.services.find((sample) => sample.pid === end.pid);
          if (start) sum[end.service] = (sum[end.service] ?? 0) + (end.ticks - start.ticks) / CLOCK_TICKS;
          return sum;
        }, {}),
        load: loadSeconds,
        bench: (benchUsed.user + benchUsed.system) / 1e6,
        companion: ended?.cpuSeconds ?? 0,
        machine: (machineBusyTicks() - before.machine) / CLOCK_TICKS,
        wallSeconds: (performance.now() - before.at) / 1e3,
      };
      const resources = resourcesBetween(before.services, after);
      const footprint = memory?.stop();
      steps[setting.name].push({ round, report, resources, cpu, window, ...(footprint ? { footprint } : {}) });
      say(
        `  round ${round + 1}, ${setting.label.padEnd(labelWidth)} ${report.sagas.completedPerSecond.toFixed(1)} completed/s${ended?.line ?? ''}`,
      );
    }
  }
  return steps;
}

/** Now on the monotonic clock, in µs: the time base of `node --cpu-prof`'s profiles. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** CPU ticks the machine spent busy so far: every CPU's time but idle and iowait (0 where /proc/stat cannot be read). */
function machineBusyTicks(): number {
  try {
    const fields = /^cpu\s+(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice)
    return fields.slice(0, 8).reduce((sum, ticks, index) => (index === 3 || index === 4 ? sum : sum + ticks), 0);
  } catch {
    return 0;
  }
}

/** Completed sagas/s of each step, in the order run. */
export const completedPerSecond = (steps: SettingStep[]): number[] => steps.map((step) => step.report.sagas.completedPerSecond);

/** The middle step (nearest rank: with an even number of rounds, the lower of the two middle ones). */
export const median = (values: number[]): number => percentiles(values).p50;

/** "98.2/s (93.1-104.0)": the median of the steps and their range. */
export function describeSteps(values: number[]): string {
  return `${median(values).toFixed(1)}/s (${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)})`;
}

/** Summed RSS counts the node binary's pages once per service; this counts them once in all. */
export const describeFootprint = (memory: MemoryFootprint) =>
  `${memory.peakFootprintMb.toFixed(0)} MB (${memory.peakPrivateMb.toFixed(0)} MB private)`;

/** CPU ms per completed saga of one step: each service, the five together, the load process, this process, a companion's process and the whole machine. */
export type CpuPerSaga = Record<string, number>;

export const cpuPerSaga = ({ report, cpu }: SettingStep): CpuPerSaga => cpuPerSagaOf(cpu, report.sagas.endToEndMs.count);

/** CPU seconds of the five services in a step (a service's replicas summed). */
export const servicesSeconds = (cpu: StepCpu): number => Object.values(cpu.services).reduce((sum, seconds) => sum + seconds, 0);

export function cpuPerSagaOf(cpu: StepCpu, sagas: number): CpuPerSaga {
  const perSaga = (seconds: number) => (sagas > 0 ? (seconds * 1_000) / sagas : NaN);
  const services = servicesSeconds(cpu);
  return {
    ...Object.fromEntries(Object.entries(cpu.services).map(([service, seconds]) => [service, perSaga(seconds)])),
    'five services': perSaga(services),
    load: perSaga(cpu.load),
    bench: perSaga(cpu.bench),
    ...(cpu.companion > 0 ? { companion: perSaga(cpu.companion) } : {}),
    machine: perSaga(cpu.machine),
    // PostgreSQL, RabbitMQ, the card provider and anything else running on the machine.
    rest: perSaga(cpu.machine - services - cpu.load - cpu.bench - cpu.companion),
  };
}

/** The median of each part's CPU per saga over the steps of one setting. */
export function medianCpu(steps: CpuPerSaga[]): CpuPerSaga {
  const parts = [...new Set(steps.flatMap((step) => Object.keys(step)))];
  return Object.fromEntries(parts.map((part) => [part, median(steps.flatMap((step) => (part in step ? [step[part]!] : [])))]));
}

/** "order 1.10 / 1.18, ...": the median CPU ms per saga of each part, under one setting / another. */
export function describeCpuPair(first: CpuPerSaga[], second: CpuPerSaga[]): string {
  const a = medianCpu(first);
  const b = medianCpu(second);
  return Object.keys(b)
    .map((part) => `${part} ${a[part]?.toFixed(2) ?? '-'} / ${b[part]!.toFixed(2)}`)
    .join(', ');
}

/** What a comparison of settings is asked to run. */
export interface ComparisonOptions {
  rate: number;
  stepSeconds: number;
  rounds: number;
  say: (line: string) => void;
  betweenSteps: () => Promise<void>;
  warmUp: WarmUp;
}

/** What every comparison of settings reports, per setting. */
export interface SettingsComparison<Name extends string> {
  rate: number;
  stepSeconds: number;
  /** Completed sagas/s of each saturating step, per setting, in the order run. */
  completedPerSecond: Record<Name, number[]>;
  /** CPU ms per completed saga of each step, per setting (a service's replicas summed). */
  cpuMsPerSaga: Record<Name, CpuPerSaga[]>;
  /** The services' memory during the first step of each setting, shared pages counted once. */
  footprint: Record<Name, MemoryFootprint>;
}
