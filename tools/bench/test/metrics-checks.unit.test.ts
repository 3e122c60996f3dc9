import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metricsChecks, type MetricsComparison } from '../src/metrics-comparison';

const footprint = { peakPrivateMb: 200, peakFootprintMb: 250, samples: 10 };

/**
 * The shop's CPU ms per saga (the machine's less the bench's) in the fixed-rate steps, metrics on
 * and off, the bench process using `bench.on` and `bench.off` of it; 97 ms for the shop at
 * saturation with metrics off.
 */
const buildComparison = (on: number[], off: number[], scrapes = 15, bench = { on: 5, off: 2 }): MetricsComparison => ({
  rate: 600,
  stepSeconds: 15,
  completedPerSecond: { off: [300], on: [250] },
  cpuMsPerSaga: { off: [{ order: 1, bench: 2, machine: 99 }], on: [{ order: 1.1, bench: 2, machine: 112 }] },
  atFixedRate: {
    rate: 225,
    cpuMsPerSaga: {
      off: off.map((shop) => ({ order: 1, bench: bench.off, machine: shop + bench.off })),
      on: on.map((shop) => ({ order: 1, bench: bench.on, machine: shop + bench.on })),
    },
  },
  resources: { off: [], on: [] },
  footprint: { off: footprint, on: footprint },
  scraped: {
    order: { scrapes: 15, failed: 0, bytes: 1_000_000 },
    email: { scrapes, failed: 0, bytes: scrapes * 30_000 },
  },
});

describe('metrics checks', () => {
  test('when what metrics add to the shop CPU per saga at the fixed rate (medians) makes the saturated CPU per saga exactly 1/0.97 of itself, then the check passes, and a little more fails; the saturating steps do not decide', () => {
    const [atTarget, saturating] = metricsChecks(buildComparison([100, 90, 120], [97, 95, 101]));
    const [below] = metricsChecks(buildComparison([100.1, 90, 120], [97, 95, 101]));
    assert.equal(atTarget?.what, 'metrics cost at most 3% of saga throughput');
    assert.equal(atTarget?.ok, true);
    assert.match(atTarget?.measured ?? '', /capacity 0\.970 x/);
    assert.equal(below?.ok, false);
    assert.equal(saturating?.ok, null);
    assert.match(saturating?.measured ?? '', /= 0\.833 x/);
  });

  test("when the bench process, which scrapes in Prometheus's place, uses more CPU with metrics on, then that does not count against the shop", () => {
    const [cheapScrapes] = metricsChecks(buildComparison([100], [97], 15, { on: 2, off: 2 }));
    const [dearScrapes] = metricsChecks(buildComparison([100], [97], 15, { on: 40, off: 2 }));
    assert.equal(cheapScrapes?.ok, true);
    assert.equal(dearScrapes?.ok, true);
    assert.equal(dearScrapes?.measured, cheapScrapes?.measured);
  });

  test('when a service was never scraped, then the check fails whatever the throughput, naming the service', () => {
    const [check] = metricsChecks(buildComparison([10], [10], 0));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /never scraped: email/);
  });
});
