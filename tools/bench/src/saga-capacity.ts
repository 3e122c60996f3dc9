import { buildReport, type LoadReport } from '@shop/load/dist/src/load-report';
import { generateLoad } from '@shop/load/dist/src/load-generator';
import type { LoadSettings, Scenario } from '@shop/load/dist/src/load-settings';
import { trackSagas } from '@shop/load/dist/src/saga-tracker';
import { TEST_OPERATOR_TOKEN } from '@shop/testing';

export const DEFAULT_MIX: Array<[Scenario, number]> = [
  ['confirm', 0.85],
  ['declined', 0.05],
  ['out-of-stock', 0.05],
  ['undeliverable', 0.05],
];

/** Offers `rate` orders per second for `seconds`, then waits for their sagas and reports. */
export async function sagaStep(orderUrl: string, rate: number, seconds: number, mix = DEFAULT_MIX): Promise<LoadReport> {
  const settings: LoadSettings = {
    url: orderUrl,
    rate,
    count: Math.round(rate * seconds),
    mix,
    sagaTimeoutSeconds: 120,
    maxInFlight: 2_000,
    // The bench starts its services with the test token; sagas are followed with GET /orders, an operator endpoint.
    operatorToken: TEST_OPERATOR_TOKEN,
  };
  const run = await generateLoad(settings, () => undefined);
  const accepted = run.outcomes.flatMap((o) => (o.orderId ? [o.orderId] : []));
  const sagas = await trackSagas(orderUrl, accepted, settings.sagaTimeoutSeconds * 1_000, () => undefined, settings.operatorToken);
  return buildReport(settings, run, sagas, []);
}

/**
 * A rate is sustainable when every order was sent and accepted and every saga finished, 99% of
 * them within `maxP99Ms` of when the order was due. Counting from acceptance alone would pass an
 * overloaded order service: its sagas finish fast while the orders queue in front of it.
 */
export const sustainable = (report: LoadReport, maxP99Ms: number) =>
  report.post.dropped === 0 &&
  report.sagas.pending === 0 &&
  Object.keys(report.post.errors).length === 0 &&
  report.sagas.dueToFinalMs.p99 <= maxP99Ms;

export interface CapacityStep {
  rate: number;
  report: LoadReport;
  sustainable: boolean;
}

export interface CapacitySearch {
  /** The highest rate offered before the first step that was not sustainable; 0 when the first was not. */
  bestRate: number;
  /** Completed sagas/s of that step. */
  bestThroughput: number;
  bestStep?: LoadReport;
  steps: CapacityStep[];
}

/** How often a saga was cancelled because its payment step timed out (the saga engine's reason, shortened by the load report). */
export const chargePaymentTimeouts = (report: LoadReport): number =>
  Object.entries(report.sagas.outcomes).reduce((sum, [outcome, n]) => (/charge-payment did not answer/.test(outcome) ? sum + n : sum), 0);

/**
 * The sustainable-rate search: steps at `rates` in increasing order until one is not sustainable
 * (`sustainable` with 5 s); `beforeStep` runs before each (the backlog drained, the databases
 * vacuumed) outside the step's time.
 */
export async function searchSustainableRate(
  orderUrl: string,
  rates: number[],
  stepSeconds: number,
  { beforeStep, say }: { beforeStep: () => Promise<void>; say: (line: string) => void },
): Promise<CapacitySearch> {
  const search: CapacitySearch = { bestRate: 0, bestThroughput: 0, steps: [] };
  for (const rate of [...rates].sort((a, b) => a - b)) {
    await beforeStep();
    const report = await sagaStep(orderUrl, rate, stepSeconds);
    const ok = sustainable(report, 5_000);
    search.steps.push({ rate, report, sustainable: ok });
    const timeouts = chargePaymentTimeouts(report);
    say(
      `    ${String(rate).padStart(4)}/s offered: ${report.sagas.completedPerSecond.toFixed(1)} completed/s, saga p99 ${(report.sagas.endToEndMs.p99 / 1000).toFixed(1)} s (from due ${(report.sagas.dueToFinalMs.p99 / 1000).toFixed(1)} s), POST p99 ${report.post.latencyMs.p99.toFixed(0)} ms${timeouts > 0 ? `, ${timeouts} cancelled: charge-payment did not answer` : ''} ${ok ? 'sustainable' : 'NOT sustainable'}`,
    );
    if (!ok) break;
    search.bestRate = rate;
    search.bestThroughput = report.sagas.completedPerSecond;
    search.bestStep = report;
  }
  return search;
}
