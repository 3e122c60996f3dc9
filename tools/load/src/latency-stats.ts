export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Exact percentiles (nearest rank) of up to a few hundred thousand samples, in the samples' unit. */
export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

export interface HistogramBucket {
  /** Samples above the previous bucket's bound, up to this one (ms); null: everything above the last bound. */
  upToMs: number | null;
  count: number;
}

/** Bounds 1-2-5 per decade, from half a millisecond to a minute: latencies span several decades. */
const BOUNDS_MS = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 60_000];

/** Counts of samples per bucket, in order, the last one open-ended. */
export function histogram(samples: readonly number[]): HistogramBucket[] {
  const counts: number[] = new Array<number>(BOUNDS_MS.length + 1).fill(0);
  for (const sample of samples) {
    const index = BOUNDS_MS.findIndex((bound) => sample <= bound);
    counts[index === -1 ? BOUNDS_MS.length : index]! += 1;
  }
  return counts.map((count, index) => ({ upToMs: BOUNDS_MS[index] ?? null, count }));
}
