import { atFixedRate, postJson } from './fixed-rate';
import type { LoadSettings, Scenario } from './load-settings';
import { orderFor, pickScenario } from './order-scenarios';

export interface RequestOutcome {
  scenario: Scenario;
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
}

/** Sends `count` POST /orders at a fixed arrival rate, whatever the answers take. */
export async function generateLoad(
  settings: LoadSettings,
  onProgress: (sent: number, outcomes: RequestOutcome[]) => void,
): Promise<LoadRun> {
  const run = await atFixedRate(
    settings,
    async (due): Promise<RequestOutcome> => {
      const scenario = pickScenario(settings.mix);
      const answer = await postJson(`${settings.url}/orders`, orderFor(scenario), due);
      const orderId = answer.status === 202 ? (answer.json as { orderId?: string } | undefined)?.orderId : undefined;
      return {
        scenario,
        latencyMs: answer.latencyMs,
        status: answer.status,
        ...(orderId ? { orderId } : { error: answer.error ?? `http ${answer.status}` }),
      };
    },
    onProgress,
  );
  return { outcomes: run.results, dropped: run.dropped, elapsedSeconds: run.elapsedSeconds };
}
