import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Exchanges, payment, type PayloadOf } from '@shop/contracts';
import { Headers, type Envelope } from '@shop/messaging';
import { eventually, operatorHeaders, transactionsThatWrote, type TestBrokerClient } from '@shop/testing';
import { buildCharge, startPaymentUnderTest, type Charge, type PaymentUnderTest, type Service } from './payment-test-setup';

describe('payment commands', () => {
  let shop: PaymentUnderTest;
  let service: Service;
  let client: TestBrokerClient;
  let provider: PaymentUnderTest['provider'];

  before(async () => {
    // A short provider timeout keeps the tok_timeout test quick: 3 requests per call, 3 attempts per message.
    shop = await startPaymentUnderTest({
      PAYMENT_PROVIDER_TIMEOUT_MS: '200',
      PAYMENT_PROVIDER_BACKOFF_MS: '20',
    });
    ({ service, client } = shop.harness);
    provider = shop.provider;
  });

  after(async () => {
    await shop?.stop();
  });

  const repliesFor = (orderId: string) => shop.harness.repliesFor(orderId);
  const replyFor = (orderId: string, count = 1) => shop.harness.replyFor(orderId, count);
  const charge = (command: Charge) => shop.charge(command);
  const refund = (orderId: string) => shop.refund(orderId);
  const ledgerOf = (orderId: string) => shop.ledgerOf(orderId);
  const paymentRowOf = (orderId: string) => shop.paymentRowOf(orderId);
  /** A later message on the same queue proves every earlier delivery was consumed. */
  const flush = async () => {
    const marker = randomUUID();
    await refund(marker);
    await replyFor(marker);
  };

  test('when the card is good, then it replies payment-charged with the charge id and the provider charged once', async () => {
    const command = buildCharge({ paymentMethod: 'tok_mastercard' });
    const sent = await charge(command);

    const reply = await replyFor(command.orderId);
    assert.equal(reply.type, 'payment.charged');
    const data = reply.data as PayloadOf<typeof payment.PaymentCharged>;
    assert.match(data.paymentId, /^ch_[0-9a-f]{24}$/);
    assert.deepEqual(data, { orderId: command.orderId, paymentId: data.paymentId, amountCents: 4_590 });
    assert.equal(reply.correlationId, command.orderId);
    assert.equal(reply.causationId, sent.id);
    const [booked, ...more] = await ledgerOf(command.orderId);
    assert.deepEqual([booked?.id, booked?.status, booked?.amount_refunded, more.length], [data.paymentId, 'succeeded', 0, 0]);
    assert.equal((await paymentRowOf(command.orderId))?.status, 'CHARGED');
  });

  for (const [paymentMethod, code] of [
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficientFunds', 'insufficient_funds'],
    ['tok_madeUp', 'invalid_payment_method'],
  ] as const) {
    test(`when the payment method is ${paymentMethod}, then it replies payment-rejected declined with ${code}`, async () => {
      const command = buildCharge({ paymentMethod });
      await charge(command);
      const reply = await replyFor(command.orderId);
      assert.equal(reply.type, 'payment.rejected');
      const data = reply.data as PayloadOf<typeof payment.PaymentRejected>;
      assert.equal(data.reason, 'declined');
      assert.match(data.detail, new RegExp(`^${code}: `));
      assert.equal((await paymentRowOf(command.orderId))?.status, 'DECLINED');
      // A decline is an answer: asked once, not retried.
      assert.equal((await ledgerOf(command.orderId)).length, 1);
    });
  }

  test('when the same command is delivered twice, then the card is charged once and one reply is sent', async () => {
    const command = buildCharge();
    const sent = await charge(command);
    client.resend(payment.ChargePayment, sent);
    await replyFor(command.orderId);
    await flush();
    assert.equal(repliesFor(command.orderId).length, 1);
    assert.equal((await ledgerOf(command.orderId)).length, 1);
  });

  test('when the command is sent again under a new message id, then it gives the same reply and no second charge', async () => {
    const command = buildCharge();
    await charge(command);
    const first = await replyFor(command.orderId);
    await charge(command);
    const second = await replyFor(command.orderId, 2);
    assert.deepEqual(second.data, first.data);
    assert.equal((await ledgerOf(command.orderId)).length, 1);

    const declined = buildCharge({ paymentMethod: 'tok_chargeDeclined' });
    await charge(declined);
    const firstDecline = await replyFor(declined.orderId);
    await charge(declined);
    assert.deepEqual((await replyFor(declined.orderId, 2)).data, firstDecline.data);
  });

  test('when our record of a charge is lost and the charge is processed again, then the provider ledger still holds a single charge', async () => {
    const command = buildCharge();
    await charge(command);
    const first = (await replyFor(command.orderId)).data as PayloadOf<typeof payment.PaymentCharged>;
    // As if the business transaction had rolled back after the provider charged.
    await service.pool.query('DELETE FROM payments WHERE order_id = $1', [command.orderId]);

    await charge(command);
    const second = (await replyFor(command.orderId, 2)).data as PayloadOf<typeof payment.PaymentCharged>;
    assert.equal(second.paymentId, first.paymentId);
    assert.deepEqual(
      (await ledgerOf(command.orderId)).map((c) => c.id),
      [first.paymentId],
    );
  });

  test('when a refund follows a charge, then the full amount is refunded once, and a repeat refunds nothing more', async () => {
    const command = buildCharge({ amountCents: 1_200 });
    await charge(command);
    await replyFor(command.orderId);
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 2)).data, { orderId: command.orderId, refundedCents: 1_200 });
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 3)).data, { orderId: command.orderId, refundedCents: 1_200 });
    assert.deepEqual(await paymentRowOf(command.orderId), { status: 'REFUNDED', refunded_cents: 1_200 });
    assert.equal((await ledgerOf(command.orderId))[0]?.amount_refunded, 1_200);

    await charge(command);
    const late = await replyFor(command.orderId, 4);
    assert.equal((late.data as { reason: string }).reason, 'order-cancelled');
    assert.equal((await ledgerOf(command.orderId)).length, 1);
  });

  test('when the refund overtakes the charge, then the late charge is refused and the provider is never called', async () => {
    const command = buildCharge();
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId)).data, { orderId: command.orderId, refundedCents: 0 });
    assert.equal((await paymentRowOf(command.orderId))?.status, 'CANCELLED');

    await charge(command);
    const late = await replyFor(command.orderId, 2);
    assert.equal(late.type, 'payment.rejected');
    assert.equal((late.data as { reason: string }).reason, 'order-cancelled');
    assert.deepEqual(await ledgerOf(command.orderId), []);
  });

  test('when a declined order is refunded, then it replies refundedCents 0', async () => {
    const command = buildCharge({ paymentMethod: 'tok_insufficientFunds' });
    await charge(command);
    await replyFor(command.orderId);
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 2)).data, { orderId: command.orderId, refundedCents: 0 });
    assert.equal((await paymentRowOf(command.orderId))?.status, 'DECLINED');
  });

  test('when charges and refunds of the same orders race, then no order keeps money it was refunded for', async () => {
    const commands = Array.from({ length: 40 }, () => buildCharge({ amountCents: 100 }));
    // Both orders of arrival, sent back to back so the consumer runs them side by side.
    for (const [index, command] of commands.entries()) {
      if (index % 2 === 0) await Promise.all([charge(command), refund(command.orderId)]);
      else await Promise.all([refund(command.orderId), charge(command)]);
    }
    for (const command of commands) await replyFor(command.orderId, 2);

    const keys = new Set(commands.map((c) => c.orderId));
    const booked = (await provider.control.charges()).filter((c) => keys.has(c.idempotency_key));
    assert.ok(booked.length > 0, 'some charges should have gone through before their refund');
    assert.deepEqual(
      booked.filter((c) => c.amount_refunded !== c.amount),
      [],
    );
    assert.equal(new Set(booked.map((c) => c.idempotency_key)).size, booked.length, 'one charge per order at most');
  });

  test('when commands arrive in a burst, then the provider is asked side by side and their answers recorded in shared transactions', async () => {
    // Sent without waiting for the replies, so they queue up: every charge's provider call runs
    // at once, and the answers that come back together are recorded in one transaction.
    const charged = Array.from({ length: 30 }, () => buildCharge());
    await provider.control.set({ latencyMs: { median: 100, p99: 100 } });
    const started = Date.now();
    try {
      await Promise.all(charged.map(charge));
      for (const command of charged) assert.equal((await replyFor(command.orderId)).type, 'payment.charged');
    } finally {
      await provider.control.set({ latencyMs: { median: 0, p99: 0 } });
    }
    // One after the other, 30 calls of 100 ms would take 3 s.
    assert.ok(Date.now() - started < 2_000, `30 charges with a 100 ms provider took ${Date.now() - started} ms`);
    // Each charge writes its intent and its answer; grouped, that is far fewer transactions than two per charge.
    const transactions = await transactionsThatWrote(
      service.pool,
      'payments',
      charged.map((command) => command.orderId),
    );
    assert.ok(transactions < charged.length, `${charged.length} charges took ${transactions} transactions`);
  });

  test('when the provider never answers, then the charge is retried, dead-lettered naming the timeout, and a refund finds nothing was charged', async () => {
    const command = buildCharge({ paymentMethod: 'tok_timeout' });
    await charge(command);

    const parked = await eventually(
      async () => {
        const depth = await client.queueDepth('payment.commands.dead-letter');
        return depth >= 1 ? client.drainQueue('payment.commands.dead-letter') : undefined;
      },
      { what: 'the timed-out charge in the dead-letter queue' },
    );
    assert.equal(parked.length, 1);
    const headers = parked[0]?.properties.headers;
    assert.match(
      String(headers?.[Headers.error]),
      /failed after 3 attempts: DependencyTimeoutError: payment-provider did not answer within 200 ms/,
    );
    assert.equal(headers?.[Headers.attempt], 3);
    assert.equal((JSON.parse(parked[0]?.content.toString() ?? '{}') as Envelope<Charge>).data.orderId, command.orderId);
    // The intent stays PENDING: a refund asks the provider's books what happened.
    assert.equal((await paymentRowOf(command.orderId))?.status, 'PENDING');
    assert.deepEqual(await ledgerOf(command.orderId), []);
    assert.equal(repliesFor(command.orderId).length, 0);
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId)).data, { orderId: command.orderId, refundedCents: 0 });
    assert.equal((await paymentRowOf(command.orderId))?.status, 'CANCELLED');
  });

  test('when poisoned messages arrive, then each is parked in the dead-letter queue with its reason and the consumer keeps serving', async () => {
    client.publishRaw(Exchanges.commands, 'payment.charge', Buffer.from('{not json'), { messageId: 'poison-1' });
    const orderId = randomUUID();
    const wrongSchema = {
      id: randomUUID(),
      type: 'payment.charge',
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: orderId,
      causationId: null,
      data: { orderId, amountCents: -5, currency: 'EUR', paymentMethod: 'tok_visa' },
    };
    client.publishRaw(Exchanges.commands, 'payment.charge', Buffer.from(JSON.stringify(wrongSchema)));

    const parked = await eventually(
      async () => {
        const depth = await client.queueDepth('payment.commands.dead-letter');
        return depth >= 2 ? client.drainQueue('payment.commands.dead-letter') : undefined;
      },
      { what: 'two dead letters' },
    );
    const reasons = parked.map((m) => String(m.properties.headers?.[Headers.error]));
    assert.match(reasons[0] ?? '', /unparseable body/);
    assert.match(reasons[1] ?? '', /schema violation in payment.charge: amountCents/);
    for (const message of parked) assert.equal(message.properties.headers?.[Headers.originalRoutingKey], 'payment.charge');
    assert.equal(await paymentRowOf(orderId), undefined);

    const command = buildCharge();
    await charge(command);
    assert.equal((await replyFor(command.orderId)).type, 'payment.charged');
  });

  test('GET /payments shows the payment with its refund; an unknown order is a 404 and a bad orderId a 400 naming the field', async () => {
    const command = buildCharge({ amountCents: 700 });
    await charge(command);
    const chargeId = ((await replyFor(command.orderId)).data as { paymentId: string }).paymentId;
    await refund(command.orderId);
    await replyFor(command.orderId, 2);

    const found = await fetch(`${service.url}/payments?orderId=${command.orderId}`, { headers: operatorHeaders() });
    assert.equal(found.status, 200);
    const body = (await found.json()) as { status: string; chargeId: string; amountCents: number; refund: { refundedCents: number } };
    assert.equal(body.status, 'REFUNDED');
    assert.equal(body.chargeId, chargeId);
    assert.equal(body.amountCents, 700);
    assert.equal(body.refund.refundedCents, 700);

    const missing = await fetch(`${service.url}/payments?orderId=${randomUUID()}`, { headers: operatorHeaders() });
    assert.equal(missing.status, 404);
    for (const query of ['', '?orderId=not-a-uuid']) {
      const bad = await fetch(`${service.url}/payments${query}`, { headers: operatorHeaders() });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: { message: string } }).error.message, /orderId/);
    }
  });
});
