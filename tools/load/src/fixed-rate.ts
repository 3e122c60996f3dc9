import { setTimeout as sleep } from 'node:timers/promises';

export interface FixedRateRun<T> {
  results: T[];
  /** Arrivals not sent because `maxInFlight` requests were already waiting. */
  dropped: number;
  elapsedSeconds: number;
}

/**
 * Starts `count` requests at `rate` per second whatever the answers take (an open model). Each
 * request gets the moment it was due, so its latency can be measured from then rather than from
 * when it was sent: a closed loop would wait for a slow answer and hide it (coordinated omission).
 */
export async function atFixedRate<T>(
  { rate, count, maxInFlight = 2_000 }: { rate: number; count: number; maxInFlight?: number },
  request: (due: number) => Promise<T>,
  onProgress: (started: number, results: T[]) => void = () => undefined,
): Promise<FixedRateRun<T>> {
  const results: T[] = [];
  const inFlight = new Set<Promise<void>>();
  let dropped = 0;
  let lastReport = 0;
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const due = started + (i * 1_000) / rate;
    const ahead = due - performance.now();
    if (ahead > 1) await sleep(ahead);
    if (inFlight.size >= maxInFlight) {
      dropped += 1;
      continue;
    }
    const pending = request(due).then((result) => {
      results.push(result);
    });
    inFlight.add(pending);
    void pending.finally(() => inFlight.delete(pending));
    if (performance.now() - lastReport > 250) {
      lastReport = performance.now();
      onProgress(i + 1, results);
    }
  }
  await Promise.all(inFlight);
  onProgress(count, results);
  return { results, dropped, elapsedSeconds: (performance.now() - started) / 1_000 };
}

/** POSTs `body` and measures from `due`; never throws. */
export async function postJson(url: string, body: unknown, due: number): Promise<{ latencyMs: number; status: number; error?: string; json?: unknown }> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    const json: unknown = await response.json().catch(() => undefined);
    return { latencyMs: performance.now() - due, status: response.status, json, ...(response.status >= 400 ? { error: `http ${response.status}` } : {}) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const kind = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : cause === 'ECONNREFUSED' ? 'connection refused' : (cause ?? 'network error');
    return { latencyMs: performance.now() - due, status: 0, error: kind };
  }
}
