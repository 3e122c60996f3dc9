import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FixedRateRun<T> {
  results: T[];
  /** Arrivals not sent because `maxInFlight` requests were already waiting. */
  dropped: number;
  elapsedSeconds: number;
  /** The wall-clock time (ms since the epoch) of the first arrival, to line the run up with the server's clocks. */
  startedAtMs: number;
}

/** A stretch of the run at one arrival rate; a run is one or more of them, one after the other. */
export interface RatePhase {
  name: string;
  /** Arrivals per second. */
  rate: number;
  seconds: number;
}

/** How long each part of a spike lasts, in seconds. */
export interface SpikeSeconds {
  before: number;
  spike: number;
  after: number;
}

/** A spike around the rate the shop sustains: half of it for `before` seconds, twice it for `spike`, half again for `after`. */
export function spikePhases(sustainableRate: number, seconds: SpikeSeconds): RatePhase[] {
  return [
    { name: 'before', rate: sustainableRate / 2, seconds: seconds.before },
    { name: 'spike', rate: sustainableRate * 2, seconds: seconds.spike },
    { name: 'after', rate: sustainableRate / 2, seconds: seconds.after },
  ];
}

/** One arrival: when it is due, in ms from the run's start, and the phase it belongs to. */
export interface Arrival {
  dueMs: number;
  phase: string;
}

/** How many arrivals a phase has: its rate times its length, rounded. */
const arrivalsIn = (phase: RatePhase) => Math.round(phase.rate * phase.seconds);

/** How many arrivals the phases have together: the run's request count. */
export function arrivalCount(phases: readonly RatePhase[]): number {
  return phases.reduce((sum, phase) => sum + arrivalsIn(phase), 0);
}

/** The arrivals of the phases, each phase's evenly spaced at its rate, starting where the one before ended. */
export function arrivals(phases: readonly RatePhase[]): Arrival[] {
  const all: Arrival[] = [];
  let phaseStart = 0;
  for (const phase of phases) {
    const count = arrivalsIn(phase);
    for (let k = 0; k < count; k += 1) all.push({ dueMs: phaseStart + (k * 1_000) / phase.rate, phase: phase.name });
    phaseStart += phase.seconds * 1_000;
  }
  return all;
}

/**
 * Starts each arrival's request when it is due (`count` at `rate` per second, or the arrivals of
 * `phases`), whatever the answers take (an open model). Each request gets the moment it was due,
 * so its latency can be measured from then rather than from when it was sent: a closed loop would
 * wait for a slow answer and hide it (coordinated omission).
 */
export async function atFixedRate<T>(
  schedule: ({ rate: number; count: number } | { phases: readonly RatePhase[] }) & { maxInFlight?: number },
  request: (due: number, arrival: Arrival) => Promise<T>,
  onProgress: (started: number, results: T[]) => void = () => undefined,
): Promise<FixedRateRun<T>> {
  const due =
    'phases' in schedule
      ? arrivals(schedule.phases)
      : arrivals([{ name: 'steady', rate: schedule.rate, seconds: schedule.count / schedule.rate }]);
  const maxInFlight = schedule.maxInFlight ?? 2_000;
  const results: T[] = [];
  const inFlight = new Set<Promise<void>>();
  let dropped = 0;
  let lastReport = 0;
  const started = performance.now();
  const startedAtMs = Date.now();
  for (const [i, arrival] of due.entries()) {
    const at = started + arrival.dueMs;
    const ahead = at - performance.now();
    if (ahead > 1) await sleep(ahead);
    if (inFlight.size >= maxInFlight) {
      dropped += 1;
      continue;
    }
    const pending = request(at, arrival).then((result) => {
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
  onProgress(due.length, results);
  return { results, dropped, elapsedSeconds: (performance.now() - started) / 1_000, startedAtMs };
}

/**
 * Connections kept open between requests, as many as there are requests in flight. node:http
 * rather than fetch: the load generator shares the machine it measures, and fetch's streams and
 * abort signals cost about twice the CPU per request.
 */
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
const TIMEOUT_MS = 30_000;

export interface PostAnswer {
  latencyMs: number;
  status: number;
  error?: string;
  json?: unknown;
}

/** POSTs `body` as JSON and measures from `due`; never throws. */
export function postJson(url: string, body: unknown, due: number): Promise<PostAnswer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: Omit<PostAnswer, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ latencyMs: performance.now() - due, ...answer });
    };
    const secure = url.startsWith('https:');
    const request = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error: NodeJS.ErrnoException) => settle({ status: 0, error: describe(error) }));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          settle({ status, json, ...(status >= 400 ? { error: `http ${status}` } : {}) });
        });
      },
    );
    request.setTimeout(TIMEOUT_MS, () => {
      settle({ status: 0, error: 'timeout' });
      request.destroy();
    });
    request.on('error', (error: NodeJS.ErrnoException) => settle({ status: 0, error: describe(error) }));
    request.end(payload);
  });
}

function describe(error: NodeJS.ErrnoException): string {
  return error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? 'network error');
}
