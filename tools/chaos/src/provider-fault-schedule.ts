import type { Behaviour, BehaviourPatch } from '@shop/payment-provider';

export type ProviderEpisodeKind = 'latency' | 'outage' | 'errors';

/** One spell of trouble at the card provider: its switches on at the start, back as they were at the end. */
export interface ProviderEpisode {
  kind: ProviderEpisodeKind;
  /** How the fault table names it. */
  fault: string;
  /** From the start of the load. */
  startSeconds: number;
  seconds: number;
  patch: BehaviourPatch;
}

/**
 * A spike's log-normal latency: with p99 at 3 s, above the payment service's 2 s timeout, a few
 * requests in a hundred time out and are tried again with the same idempotency key.
 */
export const SPIKE_LATENCY_MS = { median: 500, p99: 3_000 };
/** Answers lost after the booking: the client must retry with the same key and get the first charge back. */
export const EPISODE_ERROR_RATE = 0.3;
/** The least calm between two episodes, so each one starts from a provider that answered. */
const MIN_GAP_SECONDS = 1;

export interface ProviderFaultOptions {
  /** How long the load will last. */
  loadSeconds: number;
  /** 0: no outage. */
  outageSeconds: number;
  /** Each latency spike and the 5xx episode; 0: none of them. */
  spikeSeconds: number;
}

/**
 * A latency spike, a 5xx episode, the outage and a second latency spike, one after another and
 * spread evenly over the load. A load too short to hold them all with a second of calm between
 * them gets them back to back with that second, and the run waits for the last one to end
 * before it waits for quiet: the outage always ends while the run still watches.
 *
 * The 5xx come before the outage: right after it the payment service's circuit is still open
 * (it probes every few seconds) and a 5xx episode would meet no charges, only failed probes.
 * The second spike follows the outage instead; in a short run it meets the commands the outage
 * held back, reaching the provider all at once.
 */
export function scheduleProviderFaults({ loadSeconds, outageSeconds, spikeSeconds }: ProviderFaultOptions): ProviderEpisode[] {
  const latency = `provider latency median ${SPIKE_LATENCY_MS.median} ms, p99 ${SPIKE_LATENCY_MS.p99} ms, ${spikeSeconds} s`;
  const planned: Array<Omit<ProviderEpisode, 'startSeconds'>> = [
    { kind: 'latency', fault: latency, seconds: spikeSeconds, patch: { latencyMs: SPIKE_LATENCY_MS } },
    {
      kind: 'errors',
      fault: `provider 500 after booking on ${EPISODE_ERROR_RATE * 100}% of requests, ${spikeSeconds} s`,
      seconds: spikeSeconds,
      patch: { errorRate: EPISODE_ERROR_RATE },
    },
    { kind: 'outage', fault: `provider outage (503), ${outageSeconds} s`, seconds: outageSeconds, patch: { outage: true } },
    { kind: 'latency', fault: latency, seconds: spikeSeconds, patch: { latencyMs: SPIKE_LATENCY_MS } },
  ];
  const episodes = planned.filter((episode) => episode.seconds > 0);
  const busySeconds = episodes.reduce((sum, episode) => sum + episode.seconds, 0);
  const gap = Math.max(MIN_GAP_SECONDS, (loadSeconds - busySeconds) / (episodes.length + 1));
  let at = gap;
  return episodes.map((episode) => {
    const scheduled = { ...episode, startSeconds: Math.round(at * 10) / 10 };
    at += episode.seconds + gap;
    return scheduled;
  });
}

/** The switches an episode turned on, as they were before it. */
export function restorePatch(before: Behaviour, patch: BehaviourPatch): BehaviourPatch {
  return Object.fromEntries(Object.keys(patch).map((key) => [key, before[key as keyof Behaviour]])) as BehaviourPatch;
}
