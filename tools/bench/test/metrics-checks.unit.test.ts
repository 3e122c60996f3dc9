import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metricsChecks, type MetricsComparison } from '../src/metrics-comparison';

const footprint = { peakPrivateMb: 200, peakFootprintMb: 250, samples: 10 };

const buildComparison = (on: number[], off: number[], scrapes = 15): MetricsComparison => ({
  rate: 600,
  stepSeconds: 15,
  completedPerSecond: { off, on },
  cpuMsPerSaga: { off: [{ order: 1 }], on: [{ order: 1.1 }] },
  resources: { off: [], on: [] },
  footprint: { off: footprint, on: footprint },
  scraped: {
    order: { scrapes: 15, failed: 0, bytes: 1_000_000 },
    email: { scrapes, failed: 0, bytes: scrapes * 30_000 },
  },
});

describe('metrics checks', () => {
  test('when the median with metrics on is exactly 0.97 of the median with them off, then the check passes, and a little less fails', () => {
    const [atTarget] = metricsChecks(buildComparison([97, 90, 99], [100, 95, 101]));
    const [below] = metricsChecks(buildComparison([96.9, 90, 99], [100, 95, 101]));
    assert.equal(atTarget?.what, 'metrics cost at most 3% of saga throughput');
    assert.equal(atTarget?.ok, true);
    assert.match(atTarget?.measured ?? '', /= 0\.970 x/);
    assert.equal(below?.ok, false);
  });

  test('when a service was never scraped, then the check fails whatever the throughput, naming the service', () => {
    const [check] = metricsChecks(buildComparison([100], [100], 0));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /never scraped: email/);
  });
});
