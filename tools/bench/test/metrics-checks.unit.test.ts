import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metricsChecks, type MetricsComparison } from '../src/metrics-comparison';

const footprint = { peakPrivateMb: 200, peakFootprintMb: 250, samples: 10 };

/** Machine CPU ms per saga of the fixed-rate steps, metrics on and off; 97 ms at saturation with metrics off. */
const buildComparison = (on: number[], off: number[], scrapes = 15): MetricsComparison => ({
  rate: 600,
  stepSeconds: 15,
  completedPerSecond: { off: [300], on: [250] },
  cpuMsPerSaga: { off: [{ order: 1, machine: 97 }], on: [{ order: 1.1, machine: 110 }] },
  atFixedRate: {
    rate: 225,
    cpuMsPerSaga: { off: off.map((machine) => ({ order: 1, machine })), on: on.map((machine) => ({ order: 1, machine })) },
  },
  resources: { off: [], on: [] },
  footprint: { off: footprint, on: footprint },
  scraped: {
    order: { scrapes: 15, failed: 0, bytes: 1_000_000 },
    email: { scrapes, failed: 0, bytes: scrapes * 30_000 },
  },
});

describe('metrics checks', () => {
  test('when what metrics add to the machine CPU per saga at the fixed rate (medians) makes the saturated CPU per saga exactly 1/0.97 of itself, then the check passes, and a little more fails; the saturating steps do not decide', () => {
    const [atTarget, saturating] = metricsChecks(buildComparison([100, 90, 120], [97, 95, 101]));
    const [below] = metricsChecks(buildComparison([100.1, 90, 120], [97, 95, 101]));
    assert.equal(atTarget?.what, 'metrics cost at most 3% of saga throughput');
    assert.equal(atTarget?.ok, true);
    assert.match(atTarget?.measured ?? '', /capacity 0\.970 x/);
    assert.equal(below?.ok, false);
    assert.equal(saturating?.ok, null);
    assert.match(saturating?.measured ?? '', /= 0\.833 x/);
  });

  test('when a service was never scraped, then the check fails whatever the throughput, naming the service', () => {
    const [check] = metricsChecks(buildComparison([10], [10], 0));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /never scraped: email/);
  });
});
