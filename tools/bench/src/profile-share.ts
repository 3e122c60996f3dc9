import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of a V8 CPU profile (`node --cpu-prof`) read here. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: number[];
  timeDeltas: number[];
}

/** What one process's profile says of a kind of code. */
export interface ProfileShare {
  /** The time the profile's samples were not idle in, in ms: the process running JavaScript, collecting garbage or in native code. */
  busyMs: number;
  /** Of that, the share in each part of the code asked about (0 to 1). */
  parts: Record<string, number>;
  /** The parts together. */
  share: number;
  /** The share of the busy time V8 spent collecting garbage. */
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
 * The share of a profile's busy samples whose innermost frame is in each of `parts` (by the
 * script's URL), weighted by the time each sample stands for. A sample counts the frame running
 * when it was taken, not its callers: what a part calls into (Map lookups, string building) is
 * counted where it is written, so a part's own code is counted, not the code it uses of others.
 */
export function profileShare(profile: CpuProfile, parts: ReadonlyArray<readonly [string, RegExp]>): ProfileShare {
  const partOfNode = new Map<number, string | null>();
  const idle = new Set<number>();
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === '(idle)') idle.add(node.id);
    partOfNode.set(node.id, parts.find(([, pattern]) => pattern.test(node.callFrame.url))?.[0] ?? null);
  }
  const garbageCollector = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === '(garbage collector)').map((node) => node.id),
  );
  let busy = 0;
  let collecting = 0;
  const inPart: Record<string, number> = Object.fromEntries(parts.map(([name]) => [name, 0]));
  profile.samples.forEach((id, index) => {
    if (idle.has(id)) return;
    const delta = profile.timeDeltas[index] ?? 0;
    busy += delta;
    if (garbageCollector.has(id)) collecting += delta;
    const part = partOfNode.get(id);
    if (part) inPart[part]! += delta;
  });
  const share = (time: number) => (busy > 0 ? time / busy : 0);
  return {
    busyMs: busy / 1e3,
    parts: Object.fromEntries(Object.entries(inPart).map(([name, time]) => [name, share(time)])),
    share: share(Object.values(inPart).reduce((sum, time) => sum + time, 0)),
    gc: share(collecting),
  };
}

/**
 * The profiles `node --cpu-prof --cpu-prof-dir=DIRECTORY` wrote there, by service: Node names each
 * file CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile, and `serviceOf` names the service of
 * a pid (undefined: not one of ours). A service with several processes gets the first found.
 */
export function readProfiles(
  directory: string,
  serviceOf: (pid: number) => string | undefined,
  parts: ReadonlyArray<readonly [string, RegExp]>,
): Record<string, ProfileShare> {
  const shares: Record<string, ProfileShare> = {};
  for (const file of existsSync(directory) ? readdirSync(directory).sort() : []) {
    const pid = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1];
    const service = pid === undefined ? undefined : serviceOf(Number(pid));
    if (service === undefined || shares[service]) continue;
    shares[service] = profileShare(JSON.parse(readFileSync(path.join(directory, file), 'utf8')) as CpuProfile, parts);
  }
  return shares;
}
