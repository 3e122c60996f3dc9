import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sampleLatencyMs } from '../src/behaviour';
import { parseProviderSettings } from '../src/provider-settings';

/** mulberry32: a seeded random, so the distribution check never flakes. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))] ?? NaN;

describe('sampleLatencyMs', () => {
  test('when p99 is above the median, then the samples have that median and 99th percentile', () => {
    const random = seededRandom(42);
    const samples = Array.from({ length: 20_000 }, () => sampleLatencyMs({ median: 50, p99: 400 }, random)).sort((a, b) => a - b);
    assert.ok(Math.abs(quantile(samples, 0.5) / 50 - 1) < 0.05, `median ${quantile(samples, 0.5)}`);
    assert.ok(Math.abs(quantile(samples, 0.99) / 400 - 1) < 0.1, `p99 ${quantile(samples, 0.99)}`);
  });

  test('when p99 is not above the median, then every sample is the median, and a median of 0 means no wait', () => {
    assert.equal(sampleLatencyMs({ median: 100, p99: 100 }), 100);
    assert.equal(sampleLatencyMs({ median: 100, p99: 0 }), 100);
    assert.equal(sampleLatencyMs({ median: 0, p99: 500 }), 0);
  });
});

describe('parseProviderSettings', () => {
  test('when nothing is set, then it listens on 127.0.0.1:4010 and behaves calmly', () => {
    assert.deepEqual(parseProviderSettings({}), {
      port: 4010,
      host: '127.0.0.1',
      behaviour: { latencyMs: { median: 0, p99: 0 }, errorRate: 0, hangRate: 0, outage: false, declineRate: 0 },
      ledgerFile: undefined,
    });
  });

  test('when the switches are set, then they become the behaviour, p99 defaulting to the median', () => {
    const settings = parseProviderSettings({ PORT: '0', PROVIDER_LATENCY_MS: '30', PROVIDER_DECLINE_RATE: '0.1', PROVIDER_OUTAGE: 'true' });
    assert.equal(settings.port, 0);
    assert.deepEqual(settings.behaviour, { latencyMs: { median: 30, p99: 30 }, errorRate: 0, hangRate: 0, outage: true, declineRate: 0.1 });
  });

  for (const [name, value] of [
    ['PORT', '70000'],
    ['PROVIDER_LATENCY_MS', '-5'],
    ['PROVIDER_LATENCY_P99_MS', 'slow'],
    ['PROVIDER_LATENCY_P99_MS', '4000000'],
    ['PROVIDER_HANG_RATE', '1.5'],
    ['PROVIDER_OUTAGE', 'maybe'],
  ] as const) {
    test(`when ${name}=${value}, then the error names ${name}`, () => {
      assert.throws(() => parseProviderSettings({ [name]: value }), { message: new RegExp(`^${name}="${value}" is not valid: `) });
    });
  }
});
