import { setPriority } from 'node:os';
import { PARTICIPANTS, SERVICE_NAMES, type ServiceName } from './service-catalog';

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

/**
 * How much lower than the orchestrator's the participants' CPU priority is (a nice value) when
 * they share a machine: `POST /orders` is the one path a user waits on, and on two shared cores
 * it waited for the CPU the participants' batches held. With the participants at nice 10 its p99
 * at half the sustainable rate fell from 67-184 ms to 25 ms, and the sagas still take every idle
 * cycle (docs/performance.md, "The synchronous path"). Compose gives the same weight as
 * `cpu_shares`, Kubernetes as CPU requests.
 */
export const PARTICIPANT_NICE = 10;

/** Lowers a just-spawned participant's CPU priority by `nice` (the orchestrator keeps its own); never throws. */
export function deprioritizeParticipant(name: ServiceName, pid: number | undefined, nice: number = PARTICIPANT_NICE): void {
  if (pid === undefined || nice === 0 || !PARTICIPANTS.includes(name)) return;
  try {
    setPriority(pid, nice);
  } catch {
    // An exited process, or a platform without priorities: it runs at the default one.
  }
}

/** A service's built entry point, relative to its folder. */
export const SERVICE_MAIN = 'dist/src/main.js';

/** A service's built entry point, relative to the repository root. */
export function serviceEntryPoint(name: ServiceName): string {
  return `services/${name}/${SERVICE_MAIN}`;
}

/**
 * The arguments node runs a service with from the repository root: SERVICE_NODE_ARGS, then
 * `extraNodeArgs` (later flags win, so they may override a heap limit), then the entry point.
 */
export function serviceNodeCommand(name: ServiceName, extraNodeArgs: readonly string[] = []): string[] {
  return [...SERVICE_NODE_ARGS, ...extraNodeArgs, serviceEntryPoint(name)];
}

/** One process of a service when it runs as replicas: its name in logs, and its slot for ports. */
export interface ServiceInstance {
  name: ServiceName;
  /** The service's name for its first replica, `<name>-<k>` for the k-th. */
  instance: string;
  /**
   * Replica k of the service at catalog index i is in slot (k - 1) x services + i: the first
   * replicas of all services take the first slots, so one replica each keeps the catalog's order.
   * A process's port is a base port plus its slot.
   */
  slot: number;
}

/** Every process to run, replica by replica, each in catalog order, given how many replicas each service has. */
export function serviceInstances(replicasOf: (name: ServiceName) => number): ServiceInstance[] {
  const counts = SERVICE_NAMES.map((name) => replicasOf(name));
  return Array.from({ length: Math.max(...counts) }, (_, k) => k + 1).flatMap((replica) =>
    SERVICE_NAMES.flatMap((name, index) =>
      replica > counts[index]!
        ? []
        : [{ name, instance: replica === 1 ? name : `${name}-${replica}`, slot: (replica - 1) * SERVICE_NAMES.length + index }],
    ),
  );
}
