import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ProviderControl, startProvider, type BehaviourPatch, type RunningProvider } from '../src/index';
import { buildCharge, eventually, get, newKey, patch, post } from './provider-requests';

/** A fresh provider per test: a switch left on must not leak into the next test. */
let running: RunningProvider | undefined;

async function providerWith(behaviour: BehaviourPatch = {}): Promise<{ url: string; control: ProviderControl }> {
  running = await startProvider({ behaviour });
  return { url: running.url, control: new ProviderControl(running.url) };
}

afterEach(async () => {
  await running?.close();
  running = undefined;
});

const gaveUp = (error: unknown) => error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

describe('faults after the work', () => {
  test('when errorRate is 1, then the charge answers 500 but is booked, and a retry with the key after errorRate 0 replays it', async () => {
    const { url, control } = await providerWith({ errorRate: 1 });
    const key = newKey();
    const lost = await post(url, '/v1/charges', buildCharge(), key);
    assert.equal(lost.status, 500);
    assert.equal(lost.body.error.type, 'api_error');

    await control.set({ errorRate: 0 });
    const retry = await post(url, '/v1/charges', buildCharge(), key);
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('Idempotent-Replayed'), 'true');
    const ledger = await control.charges();
    assert.equal(ledger.length, 1, 'charged once');
    assert.equal(ledger[0]?.id, retry.body.id);
    assert.equal((await control.stats()).injectedErrors, 1);
  });

  test('when hangRate is 1, then the charge gets no answer but is booked, and the hung socket is forgotten once the client gives up', async () => {
    const { url, control } = await providerWith({ hangRate: 1 });
    const key = newKey();
    await assert.rejects(post(url, '/v1/charges', buildCharge(), key, AbortSignal.timeout(200)), gaveUp);
    await control.set({ hangRate: 0 });
    assert.equal((await control.chargeByKey(key))?.status, 'succeeded');
    await eventually(async () => (await control.stats()).openHungRequests === 0, 'the provider forgets the closed request');
    assert.equal((await control.stats()).hungRequests, 1);
  });

  test('when paying with tok_timeout, then there is no answer and nothing is booked', async () => {
    const { url, control } = await providerWith();
    const key = newKey();
    await assert.rejects(post(url, '/v1/charges', buildCharge({ payment_method: 'tok_timeout' }), key, AbortSignal.timeout(200)), gaveUp);
    assert.equal(await control.chargeByKey(key), undefined);
    assert.deepEqual(await control.charges(), []);
  });

  test('when the provider closes with a hung request, then close ends it at once', async () => {
    const { url, control } = await providerWith({ hangRate: 1 });
    const hung = post(url, '/v1/charges', buildCharge(), newKey(), AbortSignal.timeout(5_000));
    await eventually(async () => (await control.stats()).openHungRequests === 1, 'the request hangs');
    const started = performance.now();
    await running?.close();
    assert.ok(performance.now() - started < 1_000, 'closed promptly');
    await assert.rejects(hung, (error: unknown) => error instanceof TypeError, 'the socket is destroyed, not timed out');
  });
});

describe('faults before the work', () => {
  test('when the provider is in an outage, then it answers 503 at once and books nothing, and control still answers', async () => {
    const { url, control } = await providerWith({ outage: true, latencyMs: { median: 2_000, p99: 2_000 } });
    const key = newKey();
    const started = performance.now();
    const refused = await post(url, '/v1/charges', buildCharge(), key);
    assert.ok(performance.now() - started < 1_000, 'no latency before an outage answer');
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.type, 'api_error');
    assert.match(refused.body.error.message, /outage/);
    assert.equal((await get(url, `/v1/charges?idempotency_key=${key}`)).status, 503, 'reads are refused too');
    assert.deepEqual(await get(url, '/healthz').then((r) => r.body), { ok: true });

    await control.set({ outage: false, latencyMs: { median: 0 } });
    assert.equal(await control.chargeByKey(key), undefined);
    const stats = await control.stats();
    assert.equal(stats.refusedByOutage, 2);
    assert.equal(stats.answeredByStatus['503'], 2);
  });

  test('when the latency median is 100 ms with no spread, then a request takes at least 100 ms', async () => {
    const { url } = await providerWith({ latencyMs: { median: 100, p99: 100 } });
    const started = performance.now();
    const response = await post(url, '/v1/charges', buildCharge(), newKey());
    // Timers may fire up to a millisecond early against performance.now().
    assert.ok(performance.now() - started >= 99, `took ${performance.now() - started} ms`);
    assert.equal(response.status, 200);
  });
});

describe('/_control', () => {
  test('when a patch is valid, then it applies at once and GET /_control shows the whole behaviour', async () => {
    const { url, control } = await providerWith();
    const patched = await patch(url, '/_control', { errorRate: 0.25, latencyMs: { median: 5 } });
    const expected = { latencyMs: { median: 5, p99: 0 }, errorRate: 0.25, hangRate: 0, outage: false, declineRate: 0 };
    assert.deepEqual([patched.status, patched.body], [200, expected]);
    assert.deepEqual(await control.behaviour(), expected);
  });

  for (const [body, param] of [
    [{ errorRate: 2 }, 'errorRate'],
    [{ hangRate: -0.1 }, 'hangRate'],
    [{ outage: 'yes' }, 'outage'],
    [{ latencyMs: { median: -1 } }, 'latencyMs.median'],
    [{ errorrate: 0.5 }, 'errorrate'],
  ] as const) {
    test(`when a patch has a bad ${param}, then it answers 400 naming it and changes nothing`, async () => {
      const { url, control } = await providerWith();
      const response = await patch(url, '/_control', body);
      assert.equal(response.status, 400);
      assert.equal(response.body.error.param, param);
      assert.match(response.body.error.message, new RegExp(param.replace('.', '\\.')));
      assert.deepEqual(await control.behaviour(), {
        latencyMs: { median: 0, p99: 0 },
        errorRate: 0,
        hangRate: 0,
        outage: false,
        declineRate: 0,
      });
    });
  }

  test('when stats are read and reset, then they count the /v1 requests by route and status, then start again', async () => {
    const { url, control } = await providerWith();
    await post(url, '/v1/charges', buildCharge(), newKey());
    await get(url, '/v1/charges');
    const stats = await control.stats();
    assert.deepEqual(stats.requestsByRoute, { 'POST /v1/charges': 1, 'GET /v1/charges': 1 });
    assert.deepEqual(stats.answeredByStatus, { '200': 2 });
    const reset = await control.resetStats();
    assert.deepEqual([reset.requestsByRoute, reset.answeredByStatus, reset.replays], [{}, {}, 0]);
  });
});
