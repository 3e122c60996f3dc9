import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from './error-description';

export interface ReadinessTarget {
  name: string;
  readyUrl: string;
}

export type ReadinessResult = { ready: true } | { ready: false; notReady: Array<{ name: string; reason: string }> };

const POLL_INTERVAL_MS = 150;
const REQUEST_TIMEOUT_MS = 2_000;

/**
 * Polls every target's /readyz until all of them answer 200, or until `timeoutMs`, or until
 * `signal` aborts (a service died, the user pressed Ctrl-C). A target stays ready once it was.
 */
export async function waitUntilReady(targets: ReadinessTarget[], timeoutMs: number, signal: AbortSignal): Promise<ReadinessResult> {
  const deadline = Date.now() + timeoutMs;
  const reasons = new Map(targets.map((target) => [target.name, 'not polled yet']));
  while (!signal.aborted) {
    await Promise.all(
      targets
        .filter((target) => reasons.has(target.name))
        .map(async (target) => {
          const reason = await probe(target.readyUrl, signal);
          if (reason === undefined) reasons.delete(target.name);
          else reasons.set(target.name, reason);
        }),
    );
    if (reasons.size === 0) return { ready: true };
    if (Date.now() >= deadline) break;
    await sleep(POLL_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
  }
  return { ready: false, notReady: [...reasons].map(([name, reason]) => ({ name, reason })) };
}

/** undefined when ready, else why not. */
async function probe(url: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
    const body = await response.text();
    if (response.status === 200) return undefined;
    return `/readyz answered ${response.status}${failingChecks(body)}`;
  } catch (error) {
    return `no answer: ${describeError(error)}`;
  }
}

/** `{"checks":{"rabbitmq":false,"database":true}}` becomes ` (rabbitmq down)`. */
function failingChecks(body: string): string {
  try {
    const checks = (JSON.parse(body) as { checks?: Record<string, unknown> }).checks ?? {};
    const down = Object.entries(checks)
      .filter(([, ok]) => ok !== true)
      .map(([name]) => name);
    return down.length > 0 ? ` (${down.join(', ')} down)` : '';
  } catch {
    return '';
  }
}
