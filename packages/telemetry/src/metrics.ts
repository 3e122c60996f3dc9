import { metrics, type Meter } from '@opentelemetry/api';

/**
 * Histogram bucket boundaries, in seconds as the semantic conventions measure durations. The SDK's
 * default boundaries are sized for milliseconds (0, 5, 10 ... 10000) and would put every request
 * in the first bucket.
 */
export const Buckets = {
  /** HTTP requests and messages: the conventions' advice for `http.server.request.duration`, 5 ms to 10 s. */
  short: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  /** Sagas and their steps, which wait on queues and remote systems: 50 ms to 5 min. */
  long: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
} as const;

/** Seconds since `startMs` (a `performance.now()` or `Date.now()` reading, matching `nowMs`). */
export function secondsSince(startMs: number, nowMs: number): number {
  return Math.max(0, nowMs - startMs) / 1000;
}

/** The meter of a package or service (`@shop/email-service`), from the SDK started by the register hook. */
export function getMeter(name: string): Meter {
  return metrics.getMeter(name);
}
