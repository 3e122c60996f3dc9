import { metrics, type Attributes, type Meter, type MetricOptions } from '@opentelemetry/api';

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

/**
 * A counter for the paths every message and every saga takes: each series is a number counted in
 * process, read by the SDK once per collection (a scrape) through an observable counter. The SDK's
 * own `Counter.add` hashes its attributes on every call (their keys sorted, the pairs put through
 * `JSON.stringify`), a few microseconds each, and the order service adds several a saga
 * (decision 0022). What is exported is the same: a monotonic cumulative sum, a Prometheus counter.
 *
 * A series is found by a key the caller builds cheaply from the values that make it (a queue and a
 * routing key, say); `attributes` is called only the first time a key is seen. A key must stand for
 * one set of attributes, and the keys must come from a bounded set, as any series' attributes must.
 */
export class TallyCounter {
  private readonly series = new Map<string, { attributes: Attributes; value: number }>();

  constructor(meter: Meter, name: string, options: MetricOptions) {
    meter.createObservableCounter(name, options).addCallback((result) => {
      for (const { attributes, value } of this.series.values()) result.observe(value, attributes);
    });
  }

  add(key: string, value: number, attributes: () => Attributes): void {
    const series = this.series.get(key);
    if (series) series.value += value;
    else this.series.set(key, { attributes: attributes(), value });
  }
}
