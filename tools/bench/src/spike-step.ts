import type { RatePhase } from '@shop/load/dist/src/fixed-rate';
import { generateLoad } from '@shop/load/dist/src/load-generator';
import type { LoadSettings } from '@shop/load/dist/src/load-settings';
import { watchQueues } from '@shop/load/dist/src/queue-watch';
import { trackSagas } from '@shop/load/dist/src/saga-tracker';
import { buildSpikeReport, type SpikeReport } from '@shop/load/dist/src/spike-report';
import { TEST_OPERATOR_TOKEN } from '@shop/testing';
import type { Check } from './bench-check';
import { DEFAULT_MIX } from './saga-capacity';

export interface SpikeSeconds {
  before: number;
  spike: number;
  after: number;
}

/**
 * The spike `npm run load -- --spike` runs, at the rate the search found sustainable: half of it
 * for `before` seconds, twice it for `spike`, half again for `after`; the queues followed from the
 * order service's stream, every saga followed to its end.
 */
export async function spikeStep(orderUrl: string, sustainableRate: number, seconds: SpikeSeconds): Promise<SpikeReport> {
  const phases: RatePhase[] = [
    { name: 'before', rate: sustainableRate / 2, seconds: seconds.before },
    { name: 'spike', rate: sustainableRate * 2, seconds: seconds.spike },
    { name: 'after', rate: sustainableRate / 2, seconds: seconds.after },
  ];
  const settings: LoadSettings = {
    url: orderUrl,
    rate: sustainableRate,
    count: phases.reduce((sum, phase) => sum + Math.round(phase.rate * phase.seconds), 0),
    phases,
    mix: DEFAULT_MIX,
    sagaTimeoutSeconds: 600,
    maxInFlight: 5_000,
    operatorToken: TEST_OPERATOR_TOKEN,
  };
  const queues = watchQueues(orderUrl, TEST_OPERATOR_TOKEN);
  const run = await generateLoad(settings, () => undefined);
  const accepted = run.outcomes.flatMap((o) => (o.orderId ? [o.orderId] : []));
  const sagas = await trackSagas(orderUrl, accepted, settings.sagaTimeoutSeconds * 1_000, () => undefined, TEST_OPERATOR_TOKEN);
  await queues.untilEmpty(settings.sagaTimeoutSeconds * 1_000);
  await queues.stop();
  return buildSpikeReport(phases, sustainableRate, run, sagas, queues.samples, queues.problem);
}

/** The spike's checks as the bench's lines, and its time to drain. */
export function spikeChecks(report: SpikeReport): Check[] {
  const spike = report.phases.find((phase) => phase.name === 'spike');
  const label = `spike: ${spike?.rate ?? '-'}/s for ${spike?.seconds ?? '-'} s`;
  return [
    ...report.checks
      .filter((check) => check.name !== 'drained after the spike')
      .map((check) => ({ what: `${label}, ${check.name}`, measured: check.detail, target: 'pass', ok: check.pass })),
    {
      what: `${label}, time to drain`,
      measured: report.drainSeconds === null ? 'not drained within the run' : `${report.drainSeconds} s after the spike ended`,
      target: 'reported',
      ok: report.drainSeconds === null ? false : null,
    },
  ];
}
