import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restorePatch, scheduleProviderFaults } from '../src/provider-fault-schedule';

const windows = (loadSeconds: number, outageSeconds: number, spikeSeconds: number) =>
  scheduleProviderFaults({ loadSeconds, outageSeconds, spikeSeconds }).map((e) => [e.kind, e.startSeconds, e.startSeconds + e.seconds]);

test('when the load is long, then the episodes are spread evenly over it', () => {
  assert.deepEqual(windows(200, 30, 6), [
    ['latency', 30.4, 36.4],
    ['errors', 66.8, 72.8],
    ['outage', 103.2, 133.2],
    ['latency', 163.6, 169.6],
  ]);
});

test('when the load is too short to hold them, then they follow each other a second apart past its end', () => {
  assert.deepEqual(windows(25, 30, 6), [
    ['latency', 1, 7],
    ['errors', 8, 14],
    ['outage', 15, 45],
    ['latency', 46, 52],
  ]);
});

test('when an outage or spike length is 0, then that episode is left out', () => {
  assert.deepEqual(
    windows(50, 0, 6).map(([kind]) => kind),
    ['latency', 'errors', 'latency'],
  );
  assert.deepEqual(
    windows(50, 30, 0).map(([kind]) => kind),
    ['outage'],
  );
  assert.deepEqual(windows(50, 0, 0), []);
});

test('when an episode ends, then only the switches it turned on go back to what they were', () => {
  const before = { latencyMs: { median: 20, p99: 80 }, errorRate: 0.01, hangRate: 0, outage: false, declineRate: 0.05 };
  assert.deepEqual(restorePatch(before, { outage: true }), { outage: false });
  assert.deepEqual(restorePatch(before, { latencyMs: { median: 500, p99: 3000 } }), { latencyMs: { median: 20, p99: 80 } });
});
