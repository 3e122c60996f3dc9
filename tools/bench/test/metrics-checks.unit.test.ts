import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metricsChecks, metricsCost, type FixedRateStep, type MetricsComparison } from '../src/metrics-comparison';
import { METRICS_CODE, profileShare, type ProfileShare } from '../src/profile-share';

const footprint = { peakPrivateMb: 200, peakFootprintMb: 250, samples: 10 };

/**
 * A 15 s step in which the shop used `shop` CPU seconds (the order service `services` of them),
 * the load process `load` (0.002 s a saga), the bench process `bench` and the scraper `scraper`.
 */
const step = (
  shop: number,
  sagas: number,
  { load = sagas * 0.002, bench = 0.5, scraper = 0, services = shop / 2 } = {},
): FixedRateStep => ({
  cpu: { services: { order: services }, load, bench, companion: scraper, machine: shop + load + bench + scraper, wallSeconds: 15 },
  sagas,
});

/** A step at 1/s (15 sagas) in which the services used `services` CPU seconds and the rest of the shop 1 s. */
const idleStep = (services: number) => step(services + 1, 15, { services });

/** A service's profile in which the metrics code took `share` of its samples. */
const profile = (share: number): ProfileShare => ({ busyMs: 10_000, parts: { sdk: share }, share });

/**
 * At saturation with metrics off the shop takes 12 ms of CPU a saga at 200 sagas/s. At 1/s
 * (15 sagas a step) the services use 1.5 s of CPU with metrics off and `idleOn` with them on; at 50/s
 * (750 sagas a step) 15 s off (20 ms a saga) and `busyOn` on, the bench process 1.5 s in each.
 * In the profiled saturating step the shop used 36 s, half of it the order service's, whose
 * profile had `orderShare` of its samples in the metrics code.
 */
const buildComparison = ({
  busyOn = [15],
  idleOn = [1.8],
  busyOff = [15],
  scrapes = 15,
  orderShare = 0,
  profiled = true,
}: {
  busyOn?: Array<number | FixedRateStep>;
  idleOn?: number[];
  busyOff?: number[];
  scrapes?: number;
  orderShare?: number;
  profiled?: boolean;
}): MetricsComparison => ({
  rate: 400,
  stepSeconds: 15,
  completedPerSecond: { off: [200], on: [180] },
  cpuMsPerSaga: { off: [{ order: 6, load: 0.5, bench: 0.5, machine: 13 }], on: [{ order: 6.2, load: 0.5, bench: 0.5, machine: 13.3 }] },
  atFixedRate: {
    rate: 50,
    steps: { off: busyOff.map((shop) => step(shop, 750)), on: busyOn.map((shop) => (typeof shop === 'number' ? step(shop, 750) : shop)) },
  },
  nearIdle: { rate: 1, steps: { off: [idleStep(1.5)], on: idleOn.map(idleStep) } },
  resources: { off: [], on: [] },
  footprint: { off: footprint, on: footprint },
  scraped: {
    order: { scrapes: 15, failed: 0, bytes: 1_000_000 },
    email: { scrapes, failed: 0, bytes: scrapes * 30_000 },
  },
  profiled: { step: step(36, 3_000), shares: profiled ? { order: profile(orderShare) } : {} },
});

/**
 * The shop's CPU seconds at 50/s with metrics on that make the capacity exactly `capacity`,
 * given 20 ms a second of per-second cost (1.8 against 1.5 s over 15 s at 1/s): a saga's own
 * cost is a share of the 20 ms it takes at 50/s, and the same share of the 12 at saturation.
 */
function busyOnFor(capacity: number): number {
  const addedAtSaturation = 12 / capacity - 12;
  const perSagaShare = (addedAtSaturation - 20 / 200) / 12;
  const atFixedRate = perSagaShare * 20 + 20 / 50;
  return 15 * (1 + atFixedRate / 20);
}

describe('metrics checks', () => {
  test('when what metrics add at saturation (per saga, and per second spread over the saturated rate) makes a saga cost exactly 1/0.97 of itself, then the check passes, and a little more fails; the saturating steps do not decide', () => {
    const [atTarget, ...others] = metricsChecks(buildComparison({ busyOn: [busyOnFor(0.97) * (1 - 1e-9)] }));
    const saturating = others.find((check) => check.what === 'saturating steps, metrics on vs off');
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

  test('when the services used less CPU at 1/s with metrics on than off, then that noise counts as no per-second cost, not as a saving', () => {
    const cost = metricsCost(buildComparison({ busyOn: [15 * 1.03], idleOn: [1.2] }));
    assert.equal(cost.measuredPerSecondMs.toFixed(6), '-20.000000');
    assert.equal(cost.perSecondMs, 0);
    // All of the 0.6 ms a saga added at 50/s is then the saga's own: 3% of its 20 ms.
    assert.equal(cost.perSagaMs.toFixed(6), '0.600000');
    assert.equal(cost.addedAtSaturationMs.toFixed(6), (0.03 * 12).toFixed(6));
    const [check] = metricsChecks(buildComparison({ busyOn: [15 * 1.03], idleOn: [1.2] }));
    assert.match(check?.measured ?? '', /the services -20\.0 ms a second, counted as 0/);
  });

  test("when a saga's own cost is a share of its CPU at the fixed rate, then at saturation it is the same share of the CPU a saga takes there, not the same ms", () => {
    // 3% more at 50/s: 0.6 ms a saga, 0.4 of it the per-second part, 0.2 ms (1%) the saga's own.
    const cost = metricsCost(buildComparison({ busyOn: [15 * 1.03] }));
    assert.equal(cost.perSagaMs.toFixed(6), '0.200000');
    assert.equal(cost.perSagaShare.toFixed(6), '0.010000');
    assert.equal(cost.addedAtSaturationMs.toFixed(6), (0.01 * 12 + 0.1).toFixed(6));
    assert.equal(cost.capacityInMs.toFixed(6), (12 / (12 + 0.2 + 0.1)).toFixed(6));
  });

  test("when the profiles show the metrics code taking a larger share at saturation than on against off did, then the profiles decide, each service's share weighted by its CPU over the shop's", () => {
    // The order service used 18 of the shop's 36 s; 8% of its samples make 4% of the shop's CPU.
    const [check] = metricsChecks(buildComparison({ busyOn: [15 * 1.03], orderShare: 0.08 }));
    const cost = metricsCost(buildComparison({ busyOn: [15 * 1.03], orderShare: 0.08 }));
    assert.equal(cost.profiledShare.toFixed(6), '0.040000');
    assert.equal(cost.addedAtSaturationMs.toFixed(6), (0.04 * 12 + 0.1).toFixed(6));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /4\.0% of it a saga \(the larger of 1\.0% on against off at 50\/s and 4\.0% by the profiles/);
    // 1% of the order service's samples is 0.5% of the shop's: on against off (1%) decides.
    const smaller = metricsCost(buildComparison({ busyOn: [15 * 1.03], orderShare: 0.01 }));
    assert.equal(smaller.addedAtSaturationMs.toFixed(6), (0.01 * 12 + 0.1).toFixed(6));
  });

  test('when a service has no profile, then the check fails whatever the cost, naming the service', () => {
    const [check] = metricsChecks(buildComparison({ profiled: false }));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /no profile of order/);
  });

  test('when a service was never scraped, then the check fails whatever the cost, naming the service', () => {
    const [check] = metricsChecks(buildComparison({ scrapes: 0 }));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /never scraped: email/);
  });
});

describe('profile share', () => {
  const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url } });
  const cpuProfile = {
    nodes: [
      frame(1, '(idle)', ''),
      frame(2, 'record', 'file:///repo/node_modules/@opentelemetry/sdk-metrics/dist/Instruments.cjs'),
      frame(3, 'add', '/repo/packages/telemetry/dist/src/metrics.js'),
      frame(4, 'handle', '/repo/services/order/dist/src/handler.js'),
      frame(5, 'get stddev', 'node:internal/histogram'),
    ],
    // idle 500 µs, the SDK 100, the tally 50, the handler 800, the histogram 50: 1,000 µs busy.
    samples: [1, 2, 3, 4, 5, 4],
    timeDeltas: [500, 100, 50, 400, 50, 400],
  };

  test('when samples fall in the metrics code, then its share is their time over the time the process was not idle, by part', () => {
    const share = profileShare(cpuProfile, METRICS_CODE);
    assert.equal(share.busyMs, 1);
    assert.equal(share.share.toFixed(6), '0.200000');
    assert.equal(share.parts.sdk?.toFixed(6), '0.100000');
    assert.equal(share.parts.tally?.toFixed(6), '0.050000');
    assert.equal(share.parts.runtime?.toFixed(6), '0.050000');
    assert.equal(share.parts.exporter, 0);
  });
});
