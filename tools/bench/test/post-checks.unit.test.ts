import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RateLatency } from '../src/latency-at-rate';
import { medianLatency, postChecks, type PostLatency } from '../src/post-latency';

const step = (p50: number, p99: number): RateLatency => ({ count: 1500, p50, p90: p99 / 2, p99, max: p99 * 2, errors: 0 });

const post = (helloWorld: number[], running: number[], stopped: number[]): PostLatency => ({
  rate: 150,
  helloWorld: helloWorld.map((p99) => step(0.6, p99)),
  running: running.map((p99) => step(5, p99)),
  stopped: stopped.map((p99) => step(1.5, p99)),
});

describe('POST /orders latency checks', () => {
  test('when one hello-world round has a high p99, then the check takes the median and is not passed by it', () => {
    const [againstHello] = postChecks(post([6.5, 16.0, 7.0], [30, 36.6, 80], [6, 6.2, 7]));
    assert.equal(medianLatency(post([6.5, 16.0, 7.0], [], []).helloWorld).p99, 7.0);
    assert.equal(againstHello?.ok, false, '36.6 ms against the median 7.0 ms is 5.2 x');
    assert.match(againstHello?.measured ?? '', /^36\.6 ms \(30\.0-80\.0\) vs 7\.0 ms \(6\.5-16\.0\) = 5\.23 x/);
    const [passes] = postChecks(post([6.5, 16.0, 7.5], [30, 36.6, 80], [6, 6.2, 7]));
    assert.equal(passes?.ok, true, '36.6 ms against 7.5 ms is 4.9 x');
  });

  test('when the shop with the participants stopped is compared, then the median of the running rounds decides, at 2 x its one step', () => {
    const [, againstStopped] = postChecks(post([7], [20, 12.4, 11], [6.2]));
    assert.equal(againstStopped?.ok, true, 'median 12.4 ms against 6.2 ms is exactly 2 x');
    assert.match(againstStopped?.measured ?? '', /medians of 3 rounds/);
    const [, fails] = postChecks(post([7], [20, 12.5, 11], [6.2]));
    assert.equal(fails?.ok, false);
  });
});
