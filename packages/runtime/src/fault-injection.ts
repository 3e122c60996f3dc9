import { setTimeout as sleep } from 'node:timers/promises';

export interface FaultSettings {
  /** Share of messages that fail with a transient error (retried), 0..1. */
  failureRate: number;
  /** Added to every handled message, to watch queues fill under load. */
  addedLatencyMs: number;
}

export class InjectedFault extends Error {
  constructor(where: string) {
    super(`injected transient failure in ${where}`);
    this.name = 'InjectedFault';
  }
}

/**
 * Demo switches in the spirit of the OpenTelemetry demo's fault flags: off by default, set per
 * participant through its environment.
 */
export async function injectFaults(settings: FaultSettings, where: string, random: () => number = Math.random): Promise<void> {
  if (settings.addedLatencyMs > 0) await sleep(settings.addedLatencyMs);
  if (settings.failureRate > 0 && random() < settings.failureRate) throw new InjectedFault(where);
}
