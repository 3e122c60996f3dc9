import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metricsChecks, metricsCost, type FixedRateStep, type MetricsComparison } from '../src/metrics-comparison';

const footprint = { peakPrivateMb: 200, peakFootprintMb: 250, samples: 10 };

/**
 * A 15 s step in which the shop used `shop` CPU seconds, the load process `load` (0.002 s a saga),
 * the bench process `bench` and the scraper `scraper`.
 */
const step = (shop: number, sagas: number, { load = sagas * 0.002, bench = 0.5, scraper = 0 } = {}): FixedRateStep => ({
  cpu: { services: { order: shop / 2 }, load, bench, companion: scraper, machine: shop + load + bench + scraper, wallSeconds: 15 },
  sagas,
});

/**
 * At saturation with metrics off the shop takes 12 ms of CPU a saga at 200 sagas/s. At 1/s
 * (15 sagas a step) it uses 1.5 s of CPU with metrics off and `idleOn` with them on; at 50/s
 * (750 sagas a step) 15 s off (20 ms a saga) and `busyOn` on, the bench process 1.5 s in each.
 */
const buildComparison = ({
  busyOn = [15],
  idleOn = [1.8],
  busyOff = [15],
  scrapes = 15,
}: {
  busyOn?: Array<number | FixedRateStep>;
  idleOn?: number[];
  busyOff?: number[];
  scrapes?: number;
}): MetricsComparison => ({
  rate: 400,
  stepSeconds: 15,
  completedPerSecond: { off: [200], on: [180] },
  cpuMsPerSaga: { off: [{ order: 6, load: 0.5, bench: 0.5, machine: 13 }], on: [{ order: 6.2, load: 0.5, bench: 0.5, machine: 13.3 }] },
  atFixedRate: {
    rate: 50,
    steps: { off: busyOff.map((shop) => step(shop, 750)), on: busyOn.map((shop) => (typeof shop === 'number' ? step(shop, 750) : shop)) },
  },
  nearIdle: { rate: 1, steps: { off: [step(1.5, 15)], on: idleOn.map((shop) => step(shop, 15)) } },
  resources: { off: [], on: [] },
  footprint: { off: footprint, on: footprint },
  scraped: {
    order: { scrapes: 15, failed: 0, bytes: 1_000_000 },
    email: { scrapes, failed: 0, bytes: scrapes * 30_000 },
  },
});

/**
 * The shop's CPU seconds at 50/s with metrics on that make the capacity exactly `capacity`,
 * given 20 ms a second of per-second cost (1.8 against 1.5 s over 15 s at 1/s).
 */
function busyOnFor(capacity: number): number {
  const addedAtSaturation = 12 / capacity - 12;
  const perSaga = addedAtSaturation - 20 / 200;
  const atFixedRate = perSaga + 20 / 50;
  return 15 * (1 + atFixedRate / 20);
}

describe('metrics checks', () => {
  test('when what metrics add at saturation (per saga, and per second spread over the saturated rate) makes a saga cost exactly 1/0.97 of itself, then the check passes, and a little more fails; the saturating steps do not decide', () => {
    const [atTarget, saturating] = metricsChecks(buildComparison({ busyOn: [busyOnFor(0.97) * (1 - 1e-9)] }));
    const [below] = metricsChecks(buildComparison({ busyOn: [busyOnFor(0.969)] }));
    assert.equal(atTarget?.what, 'metrics cost at most 3% of saga throughput');
    assert.equal(atTarget?.ok, true);
    assert.match(atTarget?.measured ?? '', /capacity 0\.970 x/);
    assert.equal(below?.ok, false);
    assert.equal(saturating?.ok, null);
    assert.match(saturating?.measured ?? '', /= 0\.900 x/);
  });

  test('when the per-second cost alone explains what metrics add at the fixed rate, then a saga itself costs nothing more and the per-second cost is spread over the saturated rate', () => {
    // 20 ms a second over 50 sagas a second is 0.4 ms a saga: 2% of the 20 ms a saga at 50/s.
    const cost = metricsCost(buildComparison({ busyOn: [15 * 1.02] }));
    assert.equal(cost.perSecondMs.toFixed(6), '20.000000');
    assert.ok(Math.abs(cost.perSagaMs) < 1e-9, `a saga's own cost ${cost.perSagaMs}`);
    assert.equal(cost.addedAtSaturationMs.toFixed(6), (20 / 200).toFixed(6));
    assert.equal(cost.capacity.toFixed(6), (12 / 12.1).toFixed(6));
  });

  test('when the machine runs a step slower, every process of it alike (the load process included), then the check does not change', () => {
    const steady = metricsChecks(buildComparison({ busyOn: [15.3, 15.4, 15.5] }));
    const slower = metricsChecks(buildComparison({ busyOn: [15.3, step(15.4 * 1.3, 750, { load: 1.5 * 1.3 }), 15.5] }));
    assert.equal(slower[0]?.measured, steady[0]?.measured);
    const shopAlone = metricsChecks(buildComparison({ busyOn: [15.3, step(15.4 * 1.3, 750), 15.5] }));
    assert.notEqual(shopAlone[0]?.measured, steady[0]?.measured, 'a step in which the shop alone used more CPU counts');
  });

  test("when the scraper process, which scrapes in Prometheus's place, uses more CPU, then that does not count against the shop", () => {
    const cheap = metricsChecks(buildComparison({ busyOn: [step(15.4, 750, { scraper: 0.1 })] }));
    const dear = metricsChecks(buildComparison({ busyOn: [step(15.4, 750, { scraper: 5 })] }));
    assert.equal(dear[0]?.measured, cheap[0]?.measured);
    assert.equal(dear[0]?.ok, cheap[0]?.ok);
  });

  test('when a service was never scraped, then the check fails whatever the cost, naming the service', () => {
    const [check] = metricsChecks(buildComparison({ scrapes: 0 }));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /never scraped: email/);
  });
});
