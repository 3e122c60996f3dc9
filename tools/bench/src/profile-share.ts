import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of a V8 CPU profile (`node --cpu-prof`) read here. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  /** When profiling started, in µs of the monotonic clock (CLOCK_MONOTONIC, as `process.hrtime`). */
  startTime: number;
  samples: number[];
  /** µs from the previous sample (the first: from startTime). */
  timeDeltas: number[];
}

/** A span of the monotonic clock, in µs (`process.hrtime.bigint() / 1000n`). */
export interface ClockWindow {
  fromUs: number;
  toUs: number;
}

/** What one process's profile says of a kind of code. */
export interface ProfileShare {
  /** Samples taken in the window while the process was not idle: running JavaScript, collecting garbage or in native code. */
  samples: number;
  /** Of those, the share in each part of the code asked about (0 to 1). */
  parts: Record<string, number>;
  /** The parts together. */
  share: number;
  /** The share of those samples taken while V8 collected garbage on the main thread. */
  gc: number;
}

/**
 * The code metrics run, by where it is loaded from: the SDK's instruments and collection, the
 * Prometheus exporter (each scrape's exposition), the runtime instrumentation and the event loop
 * delay histogram it reads at each collection, the project's TallyCounter, and the functions of
 * @shop/messaging and @shop/saga that record each measurement. The HTTP path's one
 * `record` call sits in server-telemetry.ts beside the tracing code and is left out; its work
 * is in the SDK's part.
 */
export const METRICS_CODE: ReadonlyArray<readonly [string, RegExp]> = [
  ['sdk', /@opentelemetry\/sdk-metrics\//],
  ['exporter', /@opentelemetry\/exporter-prometheus\//],
  ['runtime', /@opentelemetry\/instrumentation-runtime-node\/|^node:internal\/histogram$/],
  ['tally', /packages\/telemetry\/dist\/src\/metrics\.js$/],
  ['call sites', /packages\/messaging\/dist\/src\/metrics\.js$|packages\/saga\/dist\/src\/saga-metrics\.js$/],
];

/**
 * The share of a profile's busy samples in `window` whose innermost frame is in each of `parts`
 * (by the script's URL). A sample counts the frame running when it was taken, not its callers:
 * what a part calls into is counted where it is written (V8's builtins, such as a Map lookup or
 * `JSON.stringify`, are counted in the function that called them).
 *
 * Samples are counted, not weighted by the time between them: V8 takes one about every
 * millisecond while the thread runs, but a thread waiting for a core takes its next sample only
 * when it runs again, and the time to it would count the wait against whatever frame it resumed.
 */
export function profileShare(profile: CpuProfile, parts: ReadonlyArray<readonly [string, RegExp]>, window: ClockWindow): ProfileShare {
  const idle = new Set<number>();
  const collecting = new Set<number>();
  const partOfNode = new Map<number, string | null>();
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === '(idle)') idle.add(node.id);
    if (node.callFrame.functionName === '(garbage collector)') collecting.add(node.id);
    partOfNode.set(node.id, parts.find(([, pattern]) => pattern.test(node.callFrame.url))?.[0] ?? null);
  }
  let at = profile.startTime;
  let busy = 0;
  let garbage = 0;
  const inPart: Record<string, number> = Object.fromEntries(parts.map(([name]) => [name, 0]));
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at < window.fromUs || at > window.toUs || idle.has(id)) return;
    busy += 1;
    if (collecting.has(id)) garbage += 1;
    const part = partOfNode.get(id);
    if (part) inPart[part]! += 1;
  });
  const share = (count: number) => (busy > 0 ? count / busy : 0);
  return {
    samples: busy,
    parts: Object.fromEntries(Object.entries(inPart).map(([name, count]) => [name, share(count)])),
    share: share(Object.values(inPart).reduce((sum, count) => sum + count, 0)),
    gc: share(garbage),
  };
}

/**
 * The profiles `node --cpu-prof --cpu-prof-dir=DIRECTORY` wrote there, by service, read over
 * `window`: Node names each file CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile, and
 * `serviceOf` names the service of a pid (undefined: not one of ours). A service with several
 * processes gets the first found; one with none is missing.
 */
export function readProfiles(
  directory: string,
  serviceOf: (pid: number) => string | undefined,
  parts: ReadonlyArray<readonly [string, RegExp]>,
  window: ClockWindow,
): Record<string, ProfileShare> {
  const shares: Record<string, ProfileShare> = {};
  for (const file of existsSync(directory) ? readdirSync(directory).sort() : []) {
    const pid = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1];
    const service = pid === undefined ? undefined : serviceOf(Number(pid));
    if (service === undefined || shares[service]) continue;
    shares[service] = profileShare(JSON.parse(readFileSync(path.join(directory, file), 'utf8')) as CpuProfile, parts, window);
  }
  return shares;
}
