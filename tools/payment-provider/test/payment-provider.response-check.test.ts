import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ProviderControl, startProvider, type RunningProvider } from '../src/index';
import { buildCharge, get, newKey, post } from './provider-requests';

let provider: RunningProvider;
let control: ProviderControl;

before(async () => {
  provider = await startProvider();
  control = new ProviderControl(provider.url);
});

after(async () => {
  await provider.close();
});

describe('POST /v1/charges', () => {
  test('when a charge succeeds, then it answers the booked charge and its replay answers the same with Idempotent-Replayed', async () => {
    const key = newKey();
    const first = await post(provider.url, '/v1/charges', buildCharge({ currency: 'EUR' }), key);
    assert.equal(first.status, 200);
    assert.match(first.body.id, /^ch_/);
    assert.equal(first.headers.get('Idempotent-Replayed'), null);
    assert.deepEqual(
      { ...first.body, id: undefined, created: undefined },
      {
        id: undefined,
        object: 'charge',
        status: 'succeeded',
        amount: 1250,
        currency: 'eur',
        payment_method: 'tok_visa',
        amount_refunded: 0,
        refunded: false,
        idempotency_key: key,
        created: undefined,
        failure_code: null,
        failure_message: null,
      },
    );
    assert.ok(Math.abs(first.body.created - Date.now() / 1000) < 5, 'created is in unix seconds');

    const replay = await post(provider.url, '/v1/charges', buildCharge({ currency: 'EUR' }), key);
    assert.equal(replay.status, 200);
    assert.equal(replay.headers.get('Idempotent-Replayed'), 'true');
    assert.deepEqual(replay.body, first.body);
    assert.equal((await control.charges()).filter((charge) => charge.idempotency_key === key).length, 1, 'booked once');
    assert.ok((await control.stats()).replays >= 1);
  });

  test('when a key comes back with other parameters, then it answers 400 idempotency_error', async () => {
    const key = newKey();
    await post(provider.url, '/v1/charges', buildCharge(), key);
    const other = await post(provider.url, '/v1/charges', buildCharge({ amount: 999 }), key);
    assert.equal(other.status, 400);
    assert.equal(other.body.error.type, 'idempotency_error');
    assert.equal((await control.chargeByKey(key))?.amount, 1250);
  });

  test('when a charge has no Idempotency-Key header, then it answers 400 naming it', async () => {
    const response = await post(provider.url, '/v1/charges', buildCharge());
    assert.equal(response.status, 400);
    assert.equal(response.body.error.type, 'invalid_request_error');
    assert.match(response.body.error.message, /Idempotency-Key/);
  });

  for (const [body, param] of [
    [buildCharge({ amount: 0 }), 'amount'],
    [buildCharge({ amount: 12.5 }), 'amount'],
    [buildCharge({ currency: 'euro' }), 'currency'],
    [buildCharge({ payment_method: '' }), 'payment_method'],
    [buildCharge({ payment_method: 'x'.repeat(101) }), 'payment_method'],
    [{ currency: 'eur', payment_method: 'tok_visa' }, 'amount'],
  ] as const) {
    test(`when the body has a bad ${param} (${JSON.stringify(body).slice(0, 60)}), then it answers 400 naming ${param} and books nothing`, async () => {
      const key = newKey();
      const response = await post(provider.url, '/v1/charges', body, key);
      assert.equal(response.status, 400);
      assert.equal(response.body.error.type, 'invalid_request_error');
      assert.equal(response.body.error.param, param);
      assert.equal(await control.chargeByKey(key), undefined);
    });
  }

  for (const [token, status, code] of [
    ['tok_visa', 200, undefined],
    ['tok_mastercard', 200, undefined],
    ['tok_chargeDeclined', 402, 'card_declined'],
    ['tok_insufficientFunds', 402, 'insufficient_funds'],
    ['tok_somethingElse', 402, 'invalid_payment_method'],
  ] as const) {
    test(`when paying with ${token}, then it answers ${status}${code ? ` ${code}` : ''} and books the charge`, async () => {
      const key = newKey();
      const response = await post(provider.url, '/v1/charges', buildCharge({ payment_method: token }), key);
      assert.equal(response.status, status);
      const booked = await control.chargeByKey(key);
      assert.ok(booked, 'booked');
      if (code) {
        assert.equal(response.body.error.type, 'card_error');
        assert.equal(response.body.error.code, code);
        assert.equal(response.body.error.charge, booked.id);
        assert.equal(booked.status, 'failed');
        assert.equal(booked.failure_code, code);
        assert.ok(booked.failure_message);
        const replay = await post(provider.url, '/v1/charges', buildCharge({ payment_method: token }), key);
        assert.deepEqual([replay.status, replay.body, replay.headers.get('Idempotent-Replayed')], [402, response.body, 'true']);
      } else {
        assert.equal(booked.status, 'succeeded');
        assert.equal(response.body.id, booked.id);
      }
    });
  }

  test('when declineRate is 1, then tok_visa is declined with card_declined', async () => {
    await control.set({ declineRate: 1 });
    try {
      const response = await post(provider.url, '/v1/charges', buildCharge(), newKey());
      assert.equal(response.status, 402);
      assert.equal(response.body.error.code, 'card_declined');
    } finally {
      await control.set({ declineRate: 0 });
    }
  });
});

describe('POST /v1/refunds', () => {
  async function succeededCharge(amount = 1000): Promise<string> {
    const response = await post(provider.url, '/v1/charges', buildCharge({ amount }), newKey());
    assert.equal(response.status, 200);
    return response.body.id as string;
  }

  test('when a charge is refunded in full, then a second refund is charge_already_refunded and a replay by key answers the same refund', async () => {
    const charge = await succeededCharge();
    const key = newKey();
    const refund = await post(provider.url, '/v1/refunds', { charge }, key);
    assert.equal(refund.status, 200);
    assert.match(refund.body.id, /^re_/);
    assert.deepEqual(
      [refund.body.object, refund.body.status, refund.body.charge, refund.body.amount],
      ['refund', 'succeeded', charge, 1000],
    );
    const refunded = await get(provider.url, `/v1/charges/${charge}`);
    assert.deepEqual([refunded.body.amount_refunded, refunded.body.refunded], [1000, true]);

    const again = await post(provider.url, '/v1/refunds', { charge }, newKey());
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'charge_already_refunded');

    const replay = await post(provider.url, '/v1/refunds', { charge }, key);
    assert.equal(replay.status, 200);
    assert.equal(replay.headers.get('Idempotent-Replayed'), 'true');
    assert.deepEqual(replay.body, refund.body);
    assert.equal((await get(provider.url, `/v1/charges/${charge}`)).body.amount_refunded, 1000, 'refunded once');
  });

  test('when refunds are partial, then a larger amount than the rest is amount_too_large and the default refunds the rest', async () => {
    const charge = await succeededCharge(1000);
    assert.equal((await post(provider.url, '/v1/refunds', { charge, amount: 300 }, newKey())).body.amount, 300);
    const tooLarge = await post(provider.url, '/v1/refunds', { charge, amount: 800 }, newKey());
    assert.deepEqual([tooLarge.status, tooLarge.body.error.code], [400, 'amount_too_large']);
    const rest = await post(provider.url, '/v1/refunds', { charge }, newKey());
    assert.equal(rest.body.amount, 700);
    const after = (await get(provider.url, `/v1/charges/${charge}`)).body;
    assert.deepEqual([after.amount_refunded, after.refunded], [1000, true]);
  });

  test('when a refund key comes back with another amount, then it answers 400 idempotency_error', async () => {
    const charge = await succeededCharge(1000);
    const key = newKey();
    await post(provider.url, '/v1/refunds', { charge, amount: 100 }, key);
    const other = await post(provider.url, '/v1/refunds', { charge, amount: 200 }, key);
    assert.deepEqual([other.status, other.body.error.type], [400, 'idempotency_error']);
  });

  test('when the charge is unknown, then it answers 404 resource_missing on param charge', async () => {
    const response = await post(provider.url, '/v1/refunds', { charge: 'ch_doesnotexist' }, newKey());
    assert.equal(response.status, 404);
    assert.deepEqual(
      { ...response.body.error, message: undefined },
      { type: 'invalid_request_error', code: 'resource_missing', param: 'charge', message: undefined },
    );
  });

  test('when the charge was declined, then it answers 400 charge_not_refundable', async () => {
    const declined = await post(provider.url, '/v1/charges', buildCharge({ payment_method: 'tok_chargeDeclined' }), newKey());
    const response = await post(provider.url, '/v1/refunds', { charge: declined.body.error.charge }, newKey());
    assert.deepEqual([response.status, response.body.error.code], [400, 'charge_not_refundable']);
  });

  test('when a refund has no Idempotency-Key header, then it answers 400 naming it', async () => {
    const response = await post(provider.url, '/v1/refunds', { charge: await succeededCharge() });
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /Idempotency-Key/);
  });
});

describe('GET /v1/charges', () => {
  test('when looking a charge up by its key, then the list holds it, and an unknown key gives an empty list', async () => {
    const key = newKey();
    const charged = await post(provider.url, '/v1/charges', buildCharge(), key);
    const found = await get(provider.url, `/v1/charges?idempotency_key=${key}`);
    assert.deepEqual(found.body, { object: 'list', data: [charged.body], has_more: false });
    const missing = await get(provider.url, `/v1/charges?idempotency_key=${newKey()}`);
    assert.deepEqual(missing.body, { object: 'list', data: [], has_more: false });
  });

  test('when paging through the ledger, then the pages follow creation order and has_more ends on the last', async () => {
    const before = await control.charges();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await post(provider.url, '/v1/charges', buildCharge({ amount: 100 + i }), newKey())).body.id);

    const seen: string[] = [];
    const pages: boolean[] = [];
    let cursor = before.at(-1)?.id;
    for (;;) {
      const page = await get(provider.url, `/v1/charges?limit=2${cursor ? `&starting_after=${cursor}` : ''}`);
      assert.equal(page.body.object, 'list');
      seen.push(...page.body.data.map((charge: { id: string }) => charge.id));
      pages.push(page.body.has_more);
      if (!page.body.has_more) break;
      cursor = seen.at(-1);
    }
    assert.deepEqual(seen, ids);
    assert.deepEqual(pages, [true, true, false]);
    assert.deepEqual(
      (await control.charges()).map((charge) => charge.id),
      [...before.map((charge) => charge.id), ...ids],
    );
  });

  test('when limit or starting_after is bad, then it answers 400 naming the parameter', async () => {
    assert.equal((await get(provider.url, '/v1/charges?limit=1001')).body.error.param, 'limit');
    assert.equal((await get(provider.url, '/v1/charges?limit=0')).body.error.param, 'limit');
    const unknown = await get(provider.url, '/v1/charges?starting_after=ch_nope');
    assert.deepEqual([unknown.status, unknown.body.error.param], [400, 'starting_after']);
  });

  test('when a charge id is unknown, then GET /v1/charges/:id answers 404', async () => {
    const response = await get(provider.url, '/v1/charges/ch_nope');
    assert.deepEqual([response.status, response.body.error.code], [404, 'resource_missing']);
  });

  test('when asked /healthz, then it answers ok', async () => {
    assert.deepEqual(await get(provider.url, '/healthz').then((r) => [r.status, r.body]), [200, { ok: true }]);
  });
});
