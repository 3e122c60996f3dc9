import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadSettings, Scenario } from './load-settings';
import { orderFor, pickScenario } from './order-scenarios';

export interface RequestOutcome {
  scenario: Scenario;
  /**
   * From the moment the request was due, not when it was sent: a slow server delays the sending
   * of later requests in a closed loop and hides its own latency (coordinated omission).
   */
  latencyMs: number;
  status: number;
  /** `http 500`, `timeout`, `connection refused`...; undefined for a 202. */
  error?: string;
  orderId?: string;
}

export interface LoadRun {
  outcomes: RequestOutcome[];
  /** Arrivals not sent because maxInFlight requests were already waiting. */
  dropped: number;
  elapsedSeconds: number;
}

/** Sends `count` POST /orders at a fixed arrival rate, whatever the answers take. */
export async function generateLoad(settings: LoadSettings, onProgress: (sent: number, outcomes: RequestOutcome[]) => void): Promise<LoadRun> {
  const outcomes: RequestOutcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let dropped = 0;
  const started = performance.now();
  const interval = 1_000 / settings.rate;
  let lastReport = 0;
  for (let i = 0; i < settings.count; i += 1) {
    const due = started + i * interval;
    const ahead = due - performance.now();
    if (ahead > 1) await sleep(ahead);
    if (inFlight.size >= settings.maxInFlight) {
      dropped += 1;
      continue;
    }
    const request = send(settings.url, pickScenario(settings.mix), due).then((outcome) => {
      outcomes.push(outcome);
    });
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
    if (performance.now() - lastReport > 250) {
      lastReport = performance.now();
      onProgress(i + 1, outcomes);
    }
  }
  await Promise.all(inFlight);
  onProgress(settings.count, outcomes);
  return { outcomes, dropped, elapsedSeconds: (performance.now() - started) / 1_000 };
}

async function send(url: string, scenario: Scenario, due: number): Promise<RequestOutcome> {
  try {
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(orderFor(scenario)),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json().catch(() => ({}))) as { orderId?: string };
    const latencyMs = performance.now() - due;
    if (response.status === 202) return { scenario, latencyMs, status: 202, orderId: body.orderId };
    return { scenario, latencyMs, status: response.status, error: `http ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const kind = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : cause === 'ECONNREFUSED' ? 'connection refused' : (cause ?? 'network error');
    return { scenario, latencyMs: performance.now() - due, status: 0, error: kind };
  }
}
