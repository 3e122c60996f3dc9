import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LoadReport } from '@shop/load/dist/src/load-report';
import type { ProviderStats } from '@shop/payment-provider';
import { providerLatencyChecks, type LatencySearch } from '../src/provider-latency-comparison';
import { chargePaymentTimeouts } from '../src/saga-capacity';

const noLatency = { count: 0, p50: 0, p90: 0, p99: 0, max: 0 } as LoadReport['sagas']['endToEndMs'];

const buildReport = (outcomes: Record<string, number>): LoadReport => ({
  settings: { url: 'http://127.0.0.1', rate: 100, count: 0, mix: {} },
  post: { achievedRate: 0, latencyMs: noLatency, latencyHistogram: [], errors: {}, dropped: 0 },
  sagas: {
    endToEndMs: { ...noLatency, count: Object.values(outcomes).reduce((a, b) => a + b, 0) },
    dueToFinalMs: noLatency,
    endToEndHistogram: [],
    outcomes,
    completedPerSecond: 0,
    pending: 0,
  },
  services: [],
});

const buildSearch = (overrides: Partial<LatencySearch>): LatencySearch => ({
  latencyMs: 0,
  bestRate: 0,
  bestThroughput: 0,
  steps: [],
  providerStats: {} as ProviderStats,
  elapsedSeconds: 0,
  ...overrides,
});

describe('provider latency checks', () => {
  test('when payment steps timed out among other cancellations, then only those are counted', () => {
    const report = buildReport({
      CONFIRMED: 90,
      'CANCELLED (charge-payment did not answer)': 3,
      'CANCELLED (reserve-stock did not answer)': 2,
      'CANCELLED (payment declined)': 5,
    });
    assert.equal(chargePaymentTimeouts(report), 3);
  });

  test('when the slow provider sustains exactly 0.9 of the rate, then the ratio passes, and one step less fails', () => {
    const baseline = buildSearch({ latencyMs: 0, bestRate: 300, bestStep: buildReport({ CONFIRMED: 10 }), chargePaymentTimeoutsAtBest: 0 });
    const [atTarget] = providerLatencyChecks([baseline, buildSearch({ latencyMs: 200, bestRate: 270 })]);
    const [below] = providerLatencyChecks([baseline, buildSearch({ latencyMs: 200, bestRate: 269 })]);
    assert.equal(atTarget?.ok, true);
    assert.match(atTarget?.target ?? '', /270\/s/);
    assert.equal(below?.ok, false);
  });

  test('when a sustainable step had a payment timeout, then its check fails, and a search with no sustainable step is reported, not judged', () => {
    const baseline = buildSearch({ latencyMs: 0, bestRate: 100, bestStep: buildReport({ CONFIRMED: 10 }), chargePaymentTimeoutsAtBest: 0 });
    const slow = buildSearch({
      latencyMs: 200,
      bestRate: 100,
      bestStep: buildReport({ CONFIRMED: 9, 'CANCELLED (charge-payment did not answer)': 1 }),
      chargePaymentTimeoutsAtBest: 1,
    });
    const checks = providerLatencyChecks([baseline, slow]);
    assert.deepEqual(
      checks.map((check) => check.ok),
      [true, true, false],
    );
    assert.match(checks[2]?.measured ?? '', /^1 of 10 orders at 100\/s/);
    const nothing = providerLatencyChecks([buildSearch({ latencyMs: 0 }), buildSearch({ latencyMs: 200 })]);
    assert.deepEqual(
      nothing.map((check) => check.ok),
      [null, null, null],
    );
  });
});
