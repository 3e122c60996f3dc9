import { arrivalCount, spikePhases, type SpikeSeconds } from '@shop/load/dist/src/fixed-rate';
import { runLoad } from '@shop/load/dist/src/load-run';
import type { LoadSettings } from '@shop/load/dist/src/load-settings';
import type { SpikeReport } from '@shop/load/dist/src/spike-report';
import { TEST_OPERATOR_TOKEN } from '@shop/testing';
import type { Check } from './bench-check';
import { DEFAULT_MIX } from './saga-capacity';

/**
 * The spike `npm run load -- --spike` runs, run the same way, at the rate the search found
 * sustainable: half of it for `before` seconds, twice it for `spike`, half again for `after`.
 */
export async function spikeStep(orderUrl: string, sustainableRate: number, seconds: SpikeSeconds): Promise<SpikeReport> {
  const phases = spikePhases(sustainableRate, seconds);
  const settings: LoadSettings = {
    url: orderUrl,
    rate: sustainableRate,
    count: arrivalCount(phases),
    phases,
    mix: DEFAULT_MIX,
    sagaTimeoutSeconds: 600,
    maxInFlight: 5_000,
    operatorToken: TEST_OPERATOR_TOKEN,
  };
  const { spike } = await runLoad(settings);
  if (!spike) throw new Error('a run with phases has a spike report');
  return spike;
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
