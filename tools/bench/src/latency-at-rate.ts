import { percentiles, type Percentiles } from '@shop/load/dist/src/latency-stats';
import { atFixedRate, postJson } from '@shop/load/dist/src/fixed-rate';

export interface RateLatency extends Percentiles {
  errors: number;
}

/** p50/p99 of POSTs at a fixed rate, measured from when each was due, by the same generator for every target. */
export async function latencyAtRate(url: string, body: () => unknown, rate: number, seconds: number): Promise<RateLatency> {
  const run = await atFixedRate({ rate, count: Math.round(rate * seconds) }, (due) => postJson(url, body(), due));
  return { ...percentiles(run.results.map((r) => r.latencyMs)), errors: run.results.filter((r) => r.error).length + run.dropped };
}
