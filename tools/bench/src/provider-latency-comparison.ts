import type { ProviderStats } from '@shop/payment-provider';
import type { Check } from './bench-check';
import type { BenchEnvironment } from './bench-environment';
import { chargePaymentTimeouts, searchSustainableRate, type CapacitySearch } from './saga-capacity';

/** Issue 15: with a slow provider the sustainable rate stays at least this share of the rate with an instant one. */
export const SLOW_PROVIDER_TARGET = 0.9;

/** The lowest whole rate that meets the target against `baselineRate` (the epsilon absorbs 0.9 x r landing a hair above a whole number). */
export const targetRate = (baselineRate: number): number => Math.ceil(SLOW_PROVIDER_TARGET * baselineRate - 1e-9);

export interface LatencySearch extends CapacitySearch {
  /** The provider's fixed latency during the search: every call waits exactly this long. */
  latencyMs: number;
  /** Orders cancelled at the sustainable step because charge-payment did not answer in time (undefined: no step was sustainable). */
  chargePaymentTimeoutsAtBest?: number;
  /** What the provider saw during the search. */
  providerStats: ProviderStats;
  elapsedSeconds: number;
}

/**
 * The sustainable-rate search once for each provider latency, on the same services and databases,
 * in the order given, the provider's latency switched through its control API in between. The
 * searches after the first also step at the rate the target asks for (SLOW_PROVIDER_TARGET of the
 * first search's rate), so the check is decided there and not by the distance between two rates
 * of the list (50/s above 400/s). The provider is put back at the first latency at the end, for
 * the rest of the bench.
 */
export async function searchAtProviderLatencies(
  environment: BenchEnvironment,
  {
    latenciesMs,
    rates,
    stepSeconds,
    beforeStep,
    say,
  }: { latenciesMs: number[]; rates: number[]; stepSeconds: number; beforeStep: () => Promise<void>; say: (line: string) => void },
): Promise<LatencySearch[]> {
  const control = environment.provider.control;
  const searches: LatencySearch[] = [];
  for (const latencyMs of latenciesMs) {
    const baseline = searches[0];
    const probe = baseline && baseline.bestRate > 0 ? targetRate(baseline.bestRate) : undefined;
    const stepRates = [...new Set(probe === undefined ? rates : [...rates, probe])];
    const behaviour = await control.set({
      latencyMs: { median: latencyMs, p99: latencyMs },
      errorRate: 0,
      hangRate: 0,
      outage: false,
      declineRate: 0,
    });
    say(
      `  provider answering in ${behaviour.latencyMs.median} ms (fixed)${probe === undefined ? '' : `; a step at ${probe}/s, ${SLOW_PROVIDER_TARGET} x ${baseline!.bestRate}/s`}`,
    );
    const started = performance.now();
    await control.resetStats();
    const search = await searchSustainableRate(environment.orderUrl, stepRates, stepSeconds, { beforeStep, say });
    const providerStats = await control.stats();
    const elapsedSeconds = (performance.now() - started) / 1_000;
    const statuses = Object.entries(providerStats.answeredByStatus)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ');
    say(
      `    provider: ${providerStats.requestsByRoute['POST /v1/charges'] ?? 0} charges, ${providerStats.requestsByRoute['POST /v1/refunds'] ?? 0} refunds asked; answered ${statuses || 'nothing'}; ${providerStats.hungRequests} hung; the search took ${(elapsedSeconds / 60).toFixed(1)} min`,
    );
    searches.push({
      ...search,
      latencyMs,
      chargePaymentTimeoutsAtBest: search.bestStep && chargePaymentTimeouts(search.bestStep),
      providerStats,
      elapsedSeconds,
    });
  }
  const first = latenciesMs[0] ?? 0;
  await control.set({ latencyMs: { median: first, p99: first } });
  return searches;
}

/**
 * Issue 15: each search after the first against the first (its rate offered: that is what the
 * search decides, while completed/s over a finite step also counts the longer tail of a slower
 * provider), and the orders cancelled for a charge-payment timeout at each sustainable step.
 */
export function providerLatencyChecks(searches: LatencySearch[]): Check[] {
  const [baseline, ...others] = searches;
  if (!baseline) return [];
  const ratios: Check[] = others.map((search) => {
    const target = targetRate(baseline.bestRate);
    return {
      what: `sustainable rate, provider ${search.latencyMs} vs ${baseline.latencyMs} ms`,
      measured: `${search.bestRate}/s vs ${baseline.bestRate}/s offered = ${baseline.bestRate > 0 ? (search.bestRate / baseline.bestRate).toFixed(2) : '-'} x (completed ${search.bestThroughput.toFixed(1)} vs ${baseline.bestThroughput.toFixed(1)}/s)`,
      target: `>= ${SLOW_PROVIDER_TARGET} x (${target}/s)`,
      ok: baseline.bestRate > 0 ? search.bestRate >= target : null,
    };
  });
  const timeouts: Check[] = searches.map((search) => ({
    what: `cancelled, charge-payment did not answer, provider ${search.latencyMs} ms`,
    measured:
      search.bestStep && search.chargePaymentTimeoutsAtBest !== undefined
        ? `${search.chargePaymentTimeoutsAtBest} of ${search.bestStep.sagas.endToEndMs.count} orders at ${search.bestRate}/s (the sustainable step)`
        : 'no rate was sustainable',
    target: '0',
    ok: search.chargePaymentTimeoutsAtBest === undefined ? null : search.chargePaymentTimeoutsAtBest === 0,
  }));
  return [...ratios, ...timeouts];
}

/** The searches for the JSON file: each step's headline figures, not its histograms. */
export function providerLatencySummary(searches: LatencySearch[]) {
  return {
    target: SLOW_PROVIDER_TARGET,
    searches: searches.map((search) => ({
      latencyMs: search.latencyMs,
      bestRate: search.bestRate,
      bestThroughput: search.bestThroughput,
      ratioToFirst: searches[0]!.bestRate > 0 ? search.bestRate / searches[0]!.bestRate : null,
      chargePaymentTimeoutsAtBest: search.chargePaymentTimeoutsAtBest ?? null,
      elapsedSeconds: search.elapsedSeconds,
      providerStats: search.providerStats,
      steps: search.steps.map(({ rate, sustainable, report }) => ({
        rate,
        sustainable,
        completedPerSecond: report.sagas.completedPerSecond,
        dueToFinalMs: report.sagas.dueToFinalMs,
        postLatencyMs: report.post.latencyMs,
        postErrors: report.post.errors,
        dropped: report.post.dropped,
        pending: report.sagas.pending,
        outcomes: report.sagas.outcomes,
      })),
    })),
  };
}
