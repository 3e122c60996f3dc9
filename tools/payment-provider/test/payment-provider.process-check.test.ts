import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startProviderProcess, type ProviderProcess } from '../src/index';
import { buildCharge, eventually, newKey, post } from './provider-requests';

const directory = mkdtempSync(path.join(tmpdir(), 'payment-provider-'));
const started: ProviderProcess[] = [];

async function start(env: Record<string, string> = {}): Promise<ProviderProcess> {
  const provider = await startProviderProcess(env);
  started.push(provider);
  return provider;
}

after(async () => {
  await Promise.all(started.map((provider) => provider.stop()));
  rmSync(directory, { recursive: true, force: true });
});

describe('the provider process', () => {
  test('when restarted with the same ledger file, then it still finds the charge by key and replays the charge and its refund', async () => {
    const ledgerFile = path.join(directory, 'ledger.jsonl');
    const key = newKey();
    const refundKey = newKey();
    const first = await start({ PROVIDER_LEDGER_FILE: ledgerFile });
    const charged = await post(first.url, '/v1/charges', buildCharge({ amount: 1000 }), key);
    const refunded = await post(first.url, '/v1/refunds', { charge: charged.body.id, amount: 400 }, refundKey);
    assert.deepEqual([charged.status, refunded.status], [200, 200]);
    await first.stop();
    assert.equal(first.child.exitCode, 0);
    assert.equal(readFileSync(ledgerFile, 'utf8').trim().split('\n').length, 2, 'one line per booking');

    const second = await start({ PROVIDER_LEDGER_FILE: ledgerFile });
    const found = await second.control.chargeByKey(key);
    assert.deepEqual([found?.id, found?.amount_refunded, found?.refunded], [charged.body.id, 400, false]);
    const replay = await post(second.url, '/v1/charges', buildCharge({ amount: 1000 }), key);
    assert.equal(replay.headers.get('Idempotent-Replayed'), 'true');
    assert.deepEqual(replay.body, charged.body, 'the first answer, amount_refunded 0 as it was');
    const refundReplay = await post(second.url, '/v1/refunds', { charge: charged.body.id, amount: 400 }, refundKey);
    assert.deepEqual([refundReplay.headers.get('Idempotent-Replayed'), refundReplay.body], ['true', refunded.body]);
    assert.equal((await second.control.charges()).length, 1, 'nothing booked twice');
  });

  test('when started with switches in the environment, then its behaviour holds them', async () => {
    const provider = await start({ PROVIDER_OUTAGE: 'true', PROVIDER_LATENCY_MS: '20', PROVIDER_ERROR_RATE: '0.5' });
    assert.deepEqual(await provider.control.behaviour(), {
      latencyMs: { median: 20, p99: 20 },
      errorRate: 0.5,
      hangRate: 0,
      outage: true,
      declineRate: 0,
    });
    assert.equal((await post(provider.url, '/v1/charges', buildCharge(), newKey())).status, 503);
  });

  test('when a setting is bad, then the process exits with one line naming it', async () => {
    await assert.rejects(start({ PROVIDER_ERROR_RATE: 'often' }), (error: Error) => {
      assert.match(error.message, /exited before it was ready \(code 1/);
      assert.match(error.message, /^payment provider: PROVIDER_ERROR_RATE="often" is not valid: .+$/m);
      return true;
    });
  });

  test('when stopped with a request hanging, then it exits 0 at once', async () => {
    const provider = await start({ PROVIDER_HANG_RATE: '1' });
    const hung = post(provider.url, '/v1/charges', buildCharge(), newKey(), AbortSignal.timeout(5_000)).catch((error: unknown) => error);
    await eventually(async () => (await provider.control.stats()).openHungRequests === 1, 'the request hangs');
    const stopping = performance.now();
    await provider.stop();
    assert.ok(performance.now() - stopping < 1_500, 'stopped promptly');
    assert.equal(provider.child.exitCode, 0);
    assert.ok((await hung) instanceof TypeError, 'the hung socket was closed by the provider');
  });
});
