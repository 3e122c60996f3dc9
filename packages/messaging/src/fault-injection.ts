import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageHandler } from './message-handler';

/**
 * Demo switches in the spirit of the OpenTelemetry demo's fault flags: off by default, set per
 * service through its environment (`<SERVICE>_FAILURE_RATE`, `<SERVICE>_ADDED_LATENCY_MS`).
 */
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

/** Waits the added latency, then fails with an InjectedFault for the configured share of calls. */
export async function injectFaults(settings: FaultSettings, where: string, random: () => number = Math.random): Promise<void> {
  if (settings.addedLatencyMs > 0) await sleep(settings.addedLatencyMs);
  if (settings.failureRate > 0 && random() < settings.failureRate) throw new InjectedFault(where);
}

/**
 * The handler with the faults as the first step of its work: of its outside work when it has one
 * (the latency spent outside any transaction, side by side with the other messages in hand),
 * otherwise of its handler, in the message's transaction, where the handlers run one after the
 * other: a slow participant whose queue fills under load. A failure fails the message as a
 * throwing handler or outside work does: it is retried through the delay queues, and the last
 * attempt is dead-lettered. The handler's prepare step is kept as it is, shared with the others.
 */
export function injectFaultsInto(handler: MessageHandler, settings: FaultSettings, where: string): MessageHandler {
  if (settings.failureRate <= 0 && settings.addedLatencyMs <= 0) return handler;
  const { outside, handle } = handler;
  if (outside) {
    return {
      ...handler,
      outside: async (message) => {
        await injectFaults(settings, where);
        return outside(message);
      },
    };
  }
  return {
    ...handler,
    handle: async (context) => {
      await injectFaults(settings, where);
      return handle(context);
    },
  };
}
