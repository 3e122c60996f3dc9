import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { histogram, percentiles } from '../src/latency-stats';
import { parseLoadArguments } from '../src/load-settings';
import { pickScenario } from '../src/order-scenarios';

describe('npm run load arguments and statistics', () => {
  test('when nothing is given, then it sends 30 s at 50/s to localhost:3000, mostly orders that confirm', () => {
    const settings = parseLoadArguments([], {});
    assert.equal(settings.url, 'http://localhost:3000');
    assert.equal(settings.count, 1500);
    assert.deepEqual(settings.mix, [
      ['confirm', 0.85],
      ['declined', 0.05],
      ['out-of-stock', 0.05],
      ['undeliverable', 0.05],
    ]);
  });

  test('when the arguments are wrong, then it names the option', () => {
    assert.throws(() => parseLoadArguments(['--rate', 'fast'], {}), /--rate expects a positive number/);
    assert.throws(() => parseLoadArguments(['--mix', 'confirm=1,refund=2'], {}), /--mix expects scenario=weight pairs.*"refund=2"/);
    assert.throws(() => parseLoadArguments(['--count', '10', '--duration', '5'], {}), /--duration or --count, not both/);
    assert.throws(() => parseLoadArguments(['--url', 'localhost'], {}), /--url expects the order service URL/);
  });

  test("when OPERATOR_TOKEN is in the environment, then the sagas are followed with it; else with the stack's, else without one", () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'load-token-'));
    try {
      const none = path.join(folder, 'none');
      const stackFile = path.join(folder, 'operator-token');
      writeFileSync(stackFile, 'the-stack-made-this-up-0123\n');
      const token = 'an-operator-token-0123456789';
      assert.equal(parseLoadArguments([], { OPERATOR_TOKEN: token, STACK_OPERATOR_TOKEN_FILE: stackFile }).operatorToken, token);
      assert.equal(parseLoadArguments([], { STACK_OPERATOR_TOKEN_FILE: stackFile }).operatorToken, 'the-stack-made-this-up-0123');
      assert.equal(parseLoadArguments([], { STACK_OPERATOR_TOKEN_FILE: none }).operatorToken, undefined);
      assert.equal(parseLoadArguments([], { OPERATOR_TOKEN: '', STACK_OPERATOR_TOKEN_FILE: none }).operatorToken, undefined);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('scenarios are picked by their share', () => {
    const mix = parseLoadArguments(['--mix', 'confirm=3,declined=1'], {}).mix;
    assert.equal(pickScenario(mix, 0.74), 'confirm');
    assert.equal(pickScenario(mix, 0.76), 'declined');
  });

  test('percentiles are nearest-rank over every sample', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual(percentiles(samples), { count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    assert.deepEqual(percentiles([]), { count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
  test('the histogram counts each sample once, in the bucket up to the first bound at or above it', () => {
    const buckets = histogram([0.2, 0.5, 0.6, 3, 5, 5.1, 950, 1_000, 90_000]);
    const at = (upToMs: number | null) => buckets.find((bucket) => bucket.upToMs === upToMs)?.count;
    assert.equal(
      buckets.reduce((sum, bucket) => sum + bucket.count, 0),
      9,
    );
    assert.equal(at(0.5), 2);
    assert.equal(at(1), 1);
    assert.equal(at(5), 2);
    assert.equal(at(10), 1);
    assert.equal(at(1_000), 2);
    assert.equal(at(null), 1, 'over a minute');
    assert.deepEqual(
      histogram([]).map((bucket) => bucket.count),
      new Array(buckets.length).fill(0),
    );
  });
});
