import { buildReport, type LoadReport } from '@shop/load/dist/src/load-report';
import { generateLoad } from '@shop/load/dist/src/load-generator';
import type { LoadSettings, Scenario } from '@shop/load/dist/src/load-settings';
import { trackSagas } from '@shop/load/dist/src/saga-tracker';

export const DEFAULT_MIX: Array<[Scenario, number]> = [
  ['confirm', 0.85],
  ['declined', 0.05],
  ['out-of-stock', 0.05],
  ['undeliverable', 0.05],
];

/** Offers `rate` orders per second for `seconds`, then waits for their sagas and reports. */
export async function sagaStep(orderUrl: string, rate: number, seconds: number, mix = DEFAULT_MIX): Promise<LoadReport> {
  const settings: LoadSettings = { url: orderUrl, rate, count: Math.round(rate * seconds), mix, sagaTimeoutSeconds: 120, maxInFlight: 2_000 };
  const run = await generateLoad(settings, () => undefined);
  const accepted = run.outcomes.flatMap((o) => (o.orderId ? [o.orderId] : []));
  const sagas = await trackSagas(orderUrl, accepted, settings.sagaTimeoutSeconds * 1_000, () => undefined);
  return buildReport(settings, run, sagas, []);
}

/**
 * A rate is sustainable when every order was sent and accepted and every saga finished, 99% of
 * them within `maxP99Ms` of when the order was due. Counting from acceptance alone would pass an
 * overloaded order service: its sagas finish fast while the orders queue in front of it.
 */
export const sustainable = (report: LoadReport, maxP99Ms: number) =>
  report.post.dropped === 0 && report.sagas.pending === 0 && Object.keys(report.post.errors).length === 0 && report.sagas.dueToFinalMs.p99 <= maxP99Ms;
