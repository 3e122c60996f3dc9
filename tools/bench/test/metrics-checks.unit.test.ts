import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SERVICE_NAMES } from '@shop/catalog';
import { metricsChecks, metricsCost, type FixedRateStep, type MetricsComparison } from '../src/metrics-comparison';
import { METRICS_CODE, profileShare, readProfiles, type ProfileShare } from '../src/profile-share';

const footprint = { peakPrivateMb: 200, peakFootprintMb: 250, samples: 10 };

/**
 * A 15 s step in which the shop used `shop` CPU seconds (the services `services` of them, all in
 * the order service), the load process `load` (0.002 s a saga), the bench process `bench` and the
 * scraper `scraper`.
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

/** A step at 50/s (750 sagas) in which the services used all of the shop's `shop` CPU seconds. */
const fixedStep = (shop: number, options: { load?: number; scraper?: number } = {}) => step(shop, 750, { services: shop, ...options });

/**
 * The profiled saturating step: 3,000 sagas, the shop 36 s of CPU, the services 28 of it (the
 * order service 18, payment 4), the scraper `scraper`.
 */
const profiledStep = (scraper = 0): FixedRateStep => ({
  cpu: {
    services: { order: 18, inventory: 2, payment: 4, warehouse: 1, email: 3 },
    load: 6,
    bench: 0.5,
    companion: scraper,
    machine: 36 + 6 + 0.5 + scraper,
    wallSeconds: 15,
  },
  sagas: 3_000,
});

/** A service's profile in which the metrics code took `share` of its samples, and collecting garbage `gc`. */
const profile = (share: number, gc = 0.1): ProfileShare => ({ samples: 10_000, parts: { sdk: share }, share, gc });

/** Each service's profile, `shares` for those named and `others` for the rest. */
const profiles = (others: ProfileShare, shares: Record<string, ProfileShare> = {}) =>
  Object.fromEntries(SERVICE_NAMES.map((service) => [service, shares[service] ?? others]));

/**
 * At saturation with metrics off the shop takes 12 ms of CPU a saga at 200 sagas/s. At 1/s
 * (15 sagas a step) the services use 1.5 s of CPU with metrics off and `idleOn` with them on
 * (20 ms a second more by default); at 50/s (750 sagas a step) the services use 15 s off (20 ms a
 * saga) and `busyOn` on. In the profiled saturating steps the shop used 36 s, half of it the
 * order service's, whose profile with metrics on had `orderShare` of its samples in the metrics
 * code and `orderGcOn` collecting garbage (10% off), and payment's `paymentShare`.
 */
const buildComparison = ({
  busyOn = [15],
  idleOn = [1.8],
  busyOff = [15],
  scrapes = 15,
  orderShare = 0,
  orderGcOn = 0.1,
  paymentShare = 0,
  scraper = 0,
  profiled = true,
}: {
  busyOn?: Array<number | FixedRateStep>;
  idleOn?: number[];
  busyOff?: number[];
  scrapes?: number;
  orderShare?: number;
  orderGcOn?: number;
  paymentShare?: number;
  scraper?: number;
  profiled?: boolean;
}): MetricsComparison => ({
  rate: 400,
  stepSeconds: 15,
  completedPerSecond: { off: [200], on: [180] },
  cpuMsPerSaga: { off: [{ order: 6, load: 0.5, bench: 0.5, machine: 13 }], on: [{ order: 6.2, load: 0.5, bench: 0.5, machine: 13.3 }] },
  atFixedRate: {
    rate: 50,
    steps: { off: busyOff.map((shop) => fixedStep(shop)), on: busyOn.map((shop) => (typeof shop === 'number' ? fixedStep(shop) : shop)) },
  },
  nearIdle: { rate: 1, steps: { off: [idleStep(1.5)], on: idleOn.map(idleStep) } },
  resources: { off: [], on: [] },
  footprint: { off: footprint, on: footprint },
  scraped: {
    order: { scrapes: 15, failed: 0, bytes: 1_000_000 },
    email: { scrapes, failed: 0, bytes: scrapes * 30_000 },
  },
  profiled: {
    off: { step: profiledStep(), shares: profiles(profile(0.003)) },
    on: {
      step: profiledStep(scraper),
      shares: profiles(profile(0), {
        order: profile(orderShare, orderGcOn),
        payment: profile(paymentShare),
        // A profile with no sample in the step: a process that started again during it.
        ...(profiled ? {} : { email: { samples: 0, parts: {}, share: 0, gc: 0 } }),
      }),
    },
  },
});

/**
 * The order service's share of samples in the metrics code that makes the capacity exactly
 * `capacity`, given 20 ms a second of per-second cost (0.1 ms a saga at 200/s): the order
 * service has half the shop's CPU, so its share counts half.
 */
function orderShareFor(capacity: number): number {
  const addedAtSaturation = 12 / capacity - 12;
  return ((addedAtSaturation - 20 / 200) / 12) * 2;
}

describe('metrics checks', () => {
  test('when what metrics add at saturation (their code and garbage collection by the profiles, and the per-second cost spread over the saturated rate) makes a saga cost exactly 1/0.97 of itself, then the check passes, and a little more fails; the saturating steps do not decide', () => {
    const [atTarget, ...others] = metricsChecks(buildComparison({ orderShare: orderShareFor(0.97) * (1 - 1e-9) }));
    const saturating = others.find((check) => check.what === 'saturating steps, metrics on vs off');
    const [below] = metricsChecks(buildComparison({ orderShare: orderShareFor(0.969) }));
    assert.equal(atTarget?.what, 'metrics cost at most 3% of saga throughput');
    assert.equal(atTarget?.ok, true);
    assert.match(atTarget?.measured ?? '', /capacity 0\.970 x/);
    assert.equal(below?.ok, false);
    assert.equal(saturating?.ok, null);
    assert.match(saturating?.measured ?? '', /= 0\.900 x/);
  });

  test('when the profiles show no metrics code, then the per-second cost alone is what metrics add, spread over the saturated rate', () => {
    const cost = metricsCost(buildComparison({}));
    assert.equal(cost.perSecondMs.toFixed(6), '20.000000');
    assert.equal(cost.addedAtSaturationMs.toFixed(6), (20 / 200).toFixed(6));
    assert.equal(cost.capacity.toFixed(6), (12 / 12.1).toFixed(6));
  });

  test("when each service's share is weighted, then by its CPU over the shop's, and the garbage collection metrics add counts beside their code", () => {
    // The order service used 18 of the shop's 36 s: 4% of its samples in the metrics code are 2%
    // of the shop's CPU, and 14% of its time collecting garbage against 10% off another 2%.
    // Payment used 4 s: 9% of its samples are 1% of the shop's.
    const comparison = buildComparison({ orderShare: 0.04, orderGcOn: 0.14, paymentShare: 0.09 });
    const cost = metricsCost(comparison);
    assert.equal(cost.codeShare.toFixed(6), '0.030000');
    assert.equal(cost.gcShare.toFixed(6), '0.020000');
    assert.equal(cost.addedAtSaturationMs.toFixed(6), (0.05 * 12 + 0.1).toFixed(6));
    const [check] = metricsChecks(comparison);
    assert.match(check?.measured ?? '', /their code 3\.0% and the garbage collection they add 2\.0% of the shop's CPU by the profiles/);
    const lessGc = metricsCost(buildComparison({ orderShare: 0.04, orderGcOn: 0.08 }));
    assert.equal(lessGc.gcShare, 0, 'less time collecting garbage with metrics on is noise, not a saving');
  });

  test('when the on-against-off steps at the fixed rate say more or less, then they are reported and do not decide', () => {
    // 3% more at 50/s: 0.6 ms a saga, 0.4 of it the per-second part, 0.2 ms (1%) the saga's own.
    const cost = metricsCost(buildComparison({ busyOn: [15 * 1.03] }));
    assert.equal(cost.perSagaMs.toFixed(6), '0.200000');
    assert.equal(cost.perSagaShare.toFixed(6), '0.010000');
    const [check, fixedRate] = metricsChecks(buildComparison({ busyOn: [15 * 1.2] }));
    assert.equal(check?.measured, metricsChecks(buildComparison({}))[0]?.measured);
    assert.equal(fixedRate?.ok, null);
    assert.match(fixedRate?.measured ?? '', /\+4\.000 ms a saga, 3\.600 of it the saga's own, 18\.0% of its CPU there/);
  });

  test('when the machine runs a step slower, every process of it alike (the load process included), then the fixed-rate figures do not change', () => {
    const fixedRate = (comparison: MetricsComparison) => metricsChecks(comparison)[1]?.measured;
    const steady = fixedRate(buildComparison({ busyOn: [15.3, 15.4, 15.5] }));
    assert.equal(fixedRate(buildComparison({ busyOn: [15.3, fixedStep(15.4 * 1.3, { load: 1.5 * 1.3 }), 15.5] })), steady);
    assert.notEqual(
      fixedRate(buildComparison({ busyOn: [15.3, fixedStep(15.4 * 1.3), 15.5] })),
      steady,
      'a step in which the shop alone used more CPU counts',
    );
  });

  test("when the scraper process, which scrapes in Prometheus's place, uses more CPU, then that does not count against the shop", () => {
    const cheap = metricsChecks(buildComparison({ busyOn: [fixedStep(15.4, { scraper: 0.1 })], scraper: 0.1, orderShare: 0.02 }));
    const dear = metricsChecks(buildComparison({ busyOn: [fixedStep(15.4, { scraper: 5 })], scraper: 5, orderShare: 0.02 }));
    assert.deepEqual(dear.slice(0, 2), cheap.slice(0, 2));
  });

  test('when the services used less CPU at 1/s with metrics on than off, then that noise counts as no per-second cost, not as a saving', () => {
    const cost = metricsCost(buildComparison({ idleOn: [1.2] }));
    assert.equal(cost.measuredPerSecondMs.toFixed(6), '-20.000000');
    assert.equal(cost.perSecondMs, 0);
    assert.equal(cost.capacity, 1);
    const [check] = metricsChecks(buildComparison({ idleOn: [1.2] }));
    assert.match(check?.measured ?? '', /the services -20\.0 ms a second, counted as 0/);
  });

  test('when a service has no profile, then the check fails whatever the cost, naming the service', () => {
    const [check] = metricsChecks(buildComparison({ profiled: false }));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /no profile of email/);
  });

  test('when a service was never scraped, then the check fails whatever the cost, naming the service', () => {
    const [check] = metricsChecks(buildComparison({ scrapes: 0 }));
    assert.equal(check?.ok, false);
    assert.match(check?.measured ?? '', /never scraped: email/);
  });
});

describe('profile share', () => {
  const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url } });
  const nodes = [
    frame(1, '(idle)', ''),
    frame(2, 'record', 'file:///repo/node_modules/@opentelemetry/sdk-metrics/dist/Instruments.cjs'),
    frame(3, 'add', '/repo/packages/telemetry/dist/src/metrics.js'),
    frame(4, 'handle', '/repo/services/order/dist/src/handler.js'),
    frame(5, 'get stddev', 'node:internal/histogram'),
    frame(6, '(garbage collector)', ''),
  ];
  // Taken at 1,001 ... 1,011 µs, then after a wait at 1,911 and 1,912: inside the window (1,000
  // to 1,011) 2 idle samples and 9 busy ones, 2 of them the SDK's, 1 the tally's, 1 the
  // histogram's, 2 collecting garbage and 3 the handler's; the last two are after it.
  const cpuProfile = {
    nodes,
    startTime: 1_000,
    samples: [1, 1, 2, 2, 3, 5, 6, 6, 4, 4, 4, 4, 4],
    timeDeltas: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 900, 1],
  };
  const window = { fromUs: 1_000, toUs: 1_011 };

  test("when samples fall in the metrics code, then its share is their count over the samples in which the process was not idle, by part; garbage collection is counted apart, and samples outside the step's window not at all", () => {
    const share = profileShare(cpuProfile, METRICS_CODE, window);
    assert.equal(share.samples, 9);
    assert.equal(share.share.toFixed(6), (4 / 9).toFixed(6));
    assert.equal(share.parts.sdk?.toFixed(6), (2 / 9).toFixed(6));
    assert.equal(share.parts.tally?.toFixed(6), (1 / 9).toFixed(6));
    assert.equal(share.parts.runtime?.toFixed(6), (1 / 9).toFixed(6));
    assert.equal(share.parts.exporter, 0);
    assert.equal(share.gc.toFixed(6), (2 / 9).toFixed(6));
  });

  test("when a directory holds Node's profiles, then each is read as the service its pid names, and other processes' and other files are left out", () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'profile-share-'));
    try {
      writeFileSync(path.join(directory, 'CPU.20261129.043812.12345.0.001.cpuprofile'), JSON.stringify(cpuProfile));
      writeFileSync(path.join(directory, 'CPU.20261129.043812.777.0.002.cpuprofile'), JSON.stringify(cpuProfile));
      writeFileSync(path.join(directory, 'notes.txt'), 'not a profile');
      const shares = readProfiles(directory, (pid) => (pid === 12345 ? 'order' : undefined), METRICS_CODE, window);
      assert.deepEqual(Object.keys(shares), ['order']);
      assert.equal(shares.order?.samples, 9);
      assert.deepEqual(
        readProfiles(path.join(directory, 'missing'), () => 'order', METRICS_CODE, window),
        {},
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
