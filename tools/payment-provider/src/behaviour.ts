import { z } from 'zod';

/** Longer waits are typos, and setTimeout turns anything past 2^31 - 1 ms into 1 ms. */
const MAX_LATENCY_MS = 3_600_000;
/** The standard normal's 99th percentile: p99 = median * exp(sigma * Z_99). */
const Z_99 = 2.326;

const rate = z.number().min(0).max(1);
const milliseconds = z.number().min(0).max(MAX_LATENCY_MS);
const latencySchema = z.strictObject({ median: milliseconds, p99: milliseconds });

export const behaviourSchema = z.strictObject({
  latencyMs: latencySchema,
  errorRate: rate,
  hangRate: rate,
  outage: z.boolean(),
  declineRate: rate,
});

/** PATCH /_control: any subset, latencyMs too; strict so a misspelt switch is a 400, not a no-op. */
export const behaviourPatchSchema = z.strictObject({
  latencyMs: latencySchema.partial().optional(),
  errorRate: rate.optional(),
  hangRate: rate.optional(),
  outage: z.boolean().optional(),
  declineRate: rate.optional(),
});

export type Behaviour = z.infer<typeof behaviourSchema>;
export type BehaviourPatch = z.infer<typeof behaviourPatchSchema>;
export type Latency = Behaviour['latencyMs'];

export const CALM_BEHAVIOUR: Behaviour = {
  latencyMs: { median: 0, p99: 0 },
  errorRate: 0,
  hangRate: 0,
  outage: false,
  declineRate: 0,
};

/** The switches, read once by each request as it arrives, so a change applies to later requests only. */
export class BehaviourSwitch {
  private behaviour: Behaviour;

  constructor(initial: BehaviourPatch = {}) {
    this.behaviour = mergeBehaviour(CALM_BEHAVIOUR, initial);
  }

  current(): Behaviour {
    return this.behaviour;
  }

  apply(patch: BehaviourPatch): Behaviour {
    this.behaviour = mergeBehaviour(this.behaviour, patch);
    return this.behaviour;
  }
}

function mergeBehaviour(base: Behaviour, patch: BehaviourPatch): Behaviour {
  const { latencyMs, ...switches } = patch;
  return behaviourSchema.parse({ ...base, ...switches, latencyMs: { ...base.latencyMs, ...latencyMs } });
}

/**
 * A request's wait: exactly the median when p99 <= median, otherwise log-normal with that median
 * and 99th percentile, the long right tail real providers have.
 */
export function sampleLatencyMs(latency: Latency, random: () => number = Math.random): number {
  if (latency.median <= 0) return 0;
  if (latency.p99 <= latency.median) return latency.median;
  const sigma = Math.log(latency.p99 / latency.median) / Z_99;
  return Math.min(MAX_LATENCY_MS, latency.median * Math.exp(sigma * standardNormal(random)));
}

/** Box-Muller; 1 - random() keeps the logarithm away from 0. */
function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** True with probability `rate`: 0 never, 1 always. */
export function happens(rate: number, random: () => number = Math.random): boolean {
  return random() < rate;
}
