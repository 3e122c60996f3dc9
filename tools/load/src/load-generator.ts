import { atFixedRate, postJson } from './fixed-rate';
import type { LoadSettings, Scenario } from './load-settings';
import { orderFor, pickScenario } from './order-scenarios';

export interface RequestOutcome {
  scenario: Scenario;
  /** When the request was due, in ms from the run's start. */
  dueMs: number;
  /** The phase of the run it was due in (`steady` unless the run has phases, as a spike does). */
  phase: string;
  /** From the moment the request was due, not when it was sent (see atFixedRate). */
  latencyMs: number;
  status: number;
  /** `http 500`, `timeout`, `connection refused`...; undefined for a 202. */
  error?: string;
  orderId?: string;
}

export interface LoadRun {
  outcomes: RequestOutcome[];
  dropped: number;
  elapsedSeconds: number;
  /** Wall-clock ms of the run's start: `dueMs` counts from here. */
  startedAtMs: number;
}

/** Sends POST /orders at the settings' arrival rate (or phases of rates), whatever the answers take. */
export async function generateLoad(
  settings: LoadSettings,
  onProgress: (sent: number, outcomes: RequestOutcome[]) => void,
): Promise<LoadRun> {
  const schedule = settings.phases
    ? { phases: settings.phases, maxInFlight: settings.maxInFlight }
    : { rate: settings.rate, count: settings.count, maxInFlight: settings.maxInFlight };
  const run = await atFixedRate(
    schedule,
    async (due, arrival): Promise<RequestOutcome> => {
      const scenario = pickScenario(settings.mix);
      const answer = await postJson(`${settings.url}/orders`, orderFor(scenario), due);
      const orderId = answer.status === 202 ? (answer.json as { orderId?: string } | undefined)?.orderId : undefined;
      return {
        scenario,
        dueMs: arrival.dueMs,
        phase: arrival.phase,
        latencyMs: answer.latencyMs,
        status: answer.status,
        ...(orderId ? { orderId } : { error: answer.error ?? `http ${answer.status}` }),
      };
    },
    onProgress,
  );
  return { outcomes: run.results, dropped: run.dropped, elapsedSeconds: run.elapsedSeconds, startedAtMs: run.startedAtMs };
}
