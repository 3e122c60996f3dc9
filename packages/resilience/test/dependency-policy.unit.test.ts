import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { createLogger } from '@shop/logger';
import { DependencyPolicy, DependencyTimeoutError, DependencyUnavailableError, type DependencyPolicyOptions } from '../src/index';

class Flaky extends Error {}

const policy = (overrides: Partial<DependencyPolicyOptions> = {}) =>
  new DependencyPolicy({
    name: 'remote',
    logger: createLogger({ service: 'resilience-test', level: 'silent' }),
    timeoutMs: 100,
    attempts: 3,
    backoffMs: 5,
    maxBackoffMs: 20,
    breaker: { failureRatio: 0.5, windowMs: 1_000, minimumRps: 2, halfOpenAfterMs: 100 },
    isTransient: (error) => error instanceof Flaky,
    probe: async () => undefined,
    ...overrides,
  });

describe('dependency policy', () => {
  test('when an attempt times out and the next is answered, then the call succeeds, and the late attempt was aborted', async () => {
    const remote = policy();
    const signals: AbortSignal[] = [];
    const answer = await remote.call(async ({ signal, attempt }) => {
      signals.push(signal);
      if (attempt === 1) await sleep(1_000, undefined, { signal }).catch(() => undefined);
      return `answered on attempt ${attempt}`;
    });
    assert.equal(answer, 'answered on attempt 2');
    assert.equal(signals[0]?.aborted, true);
    remote.stop();
  });

  test('when every attempt fails transiently, then it tries `attempts` times and throws the last failure', async () => {
    const remote = policy({ breaker: { failureRatio: 0.5, windowMs: 1_000, minimumRps: 1_000, halfOpenAfterMs: 100 } });
    let calls = 0;
    await assert.rejects(
      remote.call(async () => {
        calls += 1;
        throw new Flaky('503');
      }),
      Flaky,
    );
    assert.equal(calls, 3);
    await assert.rejects(
      remote.call(() => sleep(500)),
      (error: unknown) => error instanceof DependencyTimeoutError && /remote did not answer within 100 ms/.test(error.message),
    );
    remote.stop();
  });

  test('when a failure is not transient (a decline, a 400), then it is not tried again', async () => {
    const remote = policy();
    let calls = 0;
    await assert.rejects(
      remote.call(async () => {
        calls += 1;
        throw new TypeError('bad request');
      }),
      TypeError,
    );
    assert.equal(calls, 1);
    remote.stop();
  });

  test('when most calls fail, then the circuit opens and says paused, calls fail at once, and the first probe that succeeds closes it', async () => {
    let up = false;
    let probes = 0;
    const remote = policy({
      probe: async () => {
        probes += 1;
        if (!up) throw new Flaky('still down');
      },
    });
    const changes: boolean[] = [];
    remote.onChange((paused) => changes.push(paused));
    for (let i = 0; i < 4 && !remote.paused; i += 1) {
      await remote.call(async () => Promise.reject(new Flaky('503'))).catch(() => undefined);
    }
    assert.equal(remote.paused, true);
    assert.equal(remote.state, 'open');
    let called = false;
    await assert.rejects(
      remote.call(async () => {
        called = true;
      }),
      DependencyUnavailableError,
    );
    assert.equal(called, false, 'an open circuit makes no call');

    await sleep(300);
    assert.ok(probes >= 1, 'probed while open');
    assert.equal(remote.paused, true, 'a failed probe keeps it open');
    up = true;
    for (let i = 0; i < 50 && remote.paused; i += 1) await sleep(20);
    assert.equal(remote.paused, false);
    assert.deepEqual(changes, [true, false]);
    assert.equal(await remote.call(async () => 'ok'), 'ok');
    remote.stop();
  });

  test('when the load is below the minimum rate, then failures do not open the circuit', async () => {
    const remote = policy({ breaker: { failureRatio: 0.5, windowMs: 1_000, minimumRps: 50, halfOpenAfterMs: 100 } });
    for (let i = 0; i < 3; i += 1) await remote.call(async () => Promise.reject(new Flaky('503'))).catch(() => undefined);
    assert.equal(remote.paused, false);
    remote.stop();
  });

  test('the longest call is every attempt timing out with the longest backoff between them', () => {
    assert.equal(policy().maxCallDurationMs, 3 * 100 + 2 * 20);
  });
});
