import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PayloadOf } from '@shop/contracts';
import type { payment } from '@shop/contracts';
import { eventually } from '@shop/testing';
import { buildCharge, startPaymentUnderTest, type PaymentUnderTest } from './payment-test-setup';

/**
 * The payment service against the fake provider process misbehaving as real ones do: slow,
 * failing, hanging, down. Each test leaves the provider calm again.
 */
describe('payment commands when the provider misbehaves', () => {
  let shop: PaymentUnderTest;
  const calm = { errorRate: 0, hangRate: 0, outage: false, latencyMs: { median: 0, p99: 0 } };

  before(async () => {
    shop = await startPaymentUnderTest({
      PAYMENT_PROVIDER_TIMEOUT_MS: '300',
      PAYMENT_PROVIDER_ATTEMPTS: '3',
      PAYMENT_PROVIDER_BACKOFF_MS: '50',
      // Sensitive enough to open within this test's few calls: half of at least 3 calls in 3 s.
      PAYMENT_PROVIDER_BREAKER_WINDOW_MS: '3000',
      PAYMENT_PROVIDER_BREAKER_MIN_RPS: '1',
      PAYMENT_PROVIDER_BREAKER_HALF_OPEN_AFTER_MS: '300',
    });
  });

  after(async () => {
    await shop?.stop();
  });

  const control = () => shop.provider.control;
  const replyFor = (orderId: string, count = 1) => shop.harness.replyFor(orderId, count);
  /** Waits until the provider counted what `done` looks for, then makes it calm again. */
  const calmOnceSeen = async (done: (stats: Awaited<ReturnType<PaymentUnderTest['provider']['control']['stats']>>) => boolean) => {
    await eventually(async () => (done(await control().stats()) ? true : undefined), { what: 'the fault to happen' });
    await control().set(calm);
  };

  test('when the first request times out and the retry is answered, then the order is charged once', async () => {
    await control().resetStats();
    await control().set({ hangRate: 1 }); // the provider books the charge, and the answer never comes
    const command = buildCharge();
    await shop.charge(command);
    await calmOnceSeen((stats) => stats.hungRequests >= 1);

    const reply = await replyFor(command.orderId);
    assert.equal(reply.type, 'payment.charged');
    const booked = await shop.ledgerOf(command.orderId);
    assert.deepEqual(
      booked.map((c) => c.id),
      [(reply.data as PayloadOf<typeof payment.PaymentCharged>).paymentId],
    );
    const stats = await control().stats();
    assert.ok((stats.requestsByRoute['POST /v1/charges'] ?? 0) >= 2, 'the charge was asked for again');
    assert.ok(stats.replays >= 1, 'the retry got the first charge back, by its idempotency key');
  });

  test('when the provider answers 500 after charging and the retry is answered, then the order is charged once', async () => {
    await control().resetStats();
    await control().set({ errorRate: 1 });
    const command = buildCharge();
    await shop.charge(command);
    await calmOnceSeen((stats) => stats.injectedErrors >= 1);

    assert.equal((await replyFor(command.orderId)).type, 'payment.charged');
    assert.equal((await shop.ledgerOf(command.orderId)).length, 1);
    assert.ok((await control().stats()).replays >= 1);
  });

  test('when the card is declined, then the provider is asked once: a decline is an answer, not a failure', async () => {
    await control().resetStats();
    const command = buildCharge({ paymentMethod: 'tok_insufficientFunds' });
    await shop.charge(command);
    assert.equal((await replyFor(command.orderId)).type, 'payment.rejected');
    assert.equal((await control().stats()).requestsByRoute['POST /v1/charges'], 1);
  });

  test('when the provider is down, then the breaker opens, the consumer pauses with the commands in its queue, and every order is charged once it is back', async () => {
    const [consumer] = shop.harness.service.consumers;
    await control().set({ outage: true });
    const commands = Array.from({ length: 10 }, () => buildCharge());
    for (const command of commands) await shop.charge(command);

    await eventually(() => (consumer?.isPaused ? true : undefined), { what: 'the consumer to pause' });
    // The commands wait in their queue, untried, instead of burning retries into the dead-letter queue.
    await eventually(async () => ((await shop.harness.client.queueDepth('payment.commands')) === commands.length ? true : undefined), {
      what: 'every command back in the queue',
    });
    assert.equal(await shop.harness.client.queueDepth('payment.commands.dead-letter'), 0);
    for (const command of commands) assert.deepEqual(shop.harness.repliesFor(command.orderId), []);

    await control().set(calm);
    for (const command of commands) assert.equal((await replyFor(command.orderId)).type, 'payment.charged');
    assert.equal(consumer?.isPaused, false);
    for (const command of commands) assert.equal((await shop.ledgerOf(command.orderId)).length, 1);
    assert.equal(await shop.harness.client.queueDepth('payment.commands.dead-letter'), 0);
  });

  test('when the service stopped after the provider charged and before it recorded the answer, then the lookup finds the charge', async () => {
    const { pool } = shop.harness.service;
    // What such a crash leaves: the intent, PENDING, whose call began long ago; the charge at the provider.
    const lost = buildCharge({ amountCents: 990 });
    const refunded = buildCharge({ amountCents: 1_990 });
    for (const command of [lost, refunded]) {
      await pool.query(
        `INSERT INTO payments (order_id, status, amount_cents, currency, payment_method, charge_started_at)
         VALUES ($1, 'PENDING', $2, 'EUR', 'tok_visa', now() - interval '1 hour')`,
        [command.orderId, command.amountCents],
      );
      const made = await fetch(`${shop.provider.url}/v1/charges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': command.orderId },
        body: JSON.stringify({ amount: command.amountCents, currency: 'eur', payment_method: 'tok_visa' }),
      });
      assert.equal(made.status, 200);
    }
    const [chargeMade] = await shop.ledgerOf(lost.orderId);

    // The charge command comes back (it was never acked): asked again with the same key, the provider answers with the same charge.
    await shop.charge(lost);
    assert.equal(((await replyFor(lost.orderId)).data as { paymentId: string }).paymentId, chargeMade?.id);
    assert.equal((await shop.paymentRowOf(lost.orderId))?.status, 'CHARGED');

    // Or the saga gave up on the step and refunds: the refund looks the charge up and gives the money back.
    await shop.refund(refunded.orderId);
    assert.deepEqual((await replyFor(refunded.orderId)).data, { orderId: refunded.orderId, refundedCents: 1_990 });
    assert.deepEqual(await shop.paymentRowOf(refunded.orderId), { status: 'REFUNDED', refunded_cents: 1_990 });
    assert.equal((await shop.ledgerOf(refunded.orderId))[0]?.amount_refunded, 1_990);
    assert.equal((await shop.ledgerOf(lost.orderId)).length, 1);
  });

  test('when a refund arrives while the charge call is still waiting for its answer, then the charge made meanwhile is refunded', async () => {
    await control().set({ latencyMs: { median: 250, p99: 250 } }); // under the 300 ms timeout: answered, late
    const command = buildCharge({ amountCents: 700 });
    await shop.charge(command);
    await eventually(async () => ((await shop.paymentRowOf(command.orderId))?.status === 'PENDING' ? true : undefined), {
      what: 'the intent',
    });
    await shop.refund(command.orderId);

    const replies = await eventually(
      () => (shop.harness.repliesFor(command.orderId).length >= 2 ? shop.harness.repliesFor(command.orderId) : undefined),
      {
        what: 'both replies',
      },
    );
    await control().set(calm);
    const refundReply = replies.find((reply) => reply.type === 'payment.refunded');
    const [booked] = await shop.ledgerOf(command.orderId);
    // However the two crossed, the money came back: refunded in full, or never charged.
    assert.equal(booked?.amount_refunded ?? 0, booked?.amount ?? 0);
    assert.deepEqual(refundReply?.data, { orderId: command.orderId, refundedCents: booked ? 700 : 0 });
  });
});
