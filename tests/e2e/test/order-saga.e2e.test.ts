import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { queueOf } from '@shop/catalog';
import { Exchanges, payment as paymentContracts } from '@shop/contracts';
import { eventually, TestBrokerClient } from '@shop/testing';
import { buildOrder } from '@shop/testing';
import { expectedJourney, journey, SAGA_STEP_TIMEOUT_MS, startShop, type Shop } from './shop-under-test';

describe('the order saga, end to end', () => {
  let shop: Shop;

  before(async () => {
    shop = await startShop('e2e');
  });
  after(async () => {
    await shop?.stopAll();
  });

  const emailsTo = (address: string) => shop.sink.emails.filter((email) => email.to.includes(address));
  /** Exactly one email to the customer, whose subject matches `subject`. */
  const oneEmail = async (address: string, subject: RegExp) => {
    const email = await shop.sink.waitFor((e) => e.to.includes(address));
    assert.match(email.subject, subject);
    return email;
  };

  test('when every step succeeds, then the order is CONFIRMED with prices, charged, shipped and one confirmation email', async () => {
    const body = buildOrder();
    const [mugsBefore, teaBefore] = [await shop.stockOf('SKU-MUG'), await shop.stockOf('SKU-TEA')];
    const orderId = await shop.placeOrder(body);
    const order = await shop.settled(orderId);

    assert.equal(order.status, 'CONFIRMED');
    assert.equal(order.cancellationReason, null);
    assert.deepEqual(order.lines, [
      { sku: 'SKU-MUG', quantity: 2, name: 'Enamel mug', unitPriceCents: 1200 },
      { sku: 'SKU-TEA', quantity: 1, name: 'Green tea 100 g', unitPriceCents: 750 },
    ]);
    assert.equal(order.totalCents, 3150);
    assert.equal(order.saga.state, 'COMPLETED');
    assert.deepEqual(journey(order), expectedJourney());

    assert.equal(await shop.stockOf('SKU-MUG'), mugsBefore - 2);
    assert.equal(await shop.stockOf('SKU-TEA'), teaBefore - 1);
    const payment = await shop.get('payment', `/payments?orderId=${orderId}`);
    assert.equal(payment.status, 200);
    assert.equal(payment.body.status, 'CHARGED');
    assert.equal(payment.body.amountCents, 3150);
    const shipment = await shop.get('warehouse', `/shipments?orderId=${orderId}`);
    assert.equal(shipment.body.status, 'CREATED');

    const email = await oneEmail(body.email, /confirm/i);
    assert.match(email.text, /EUR 31\.50/);
    assert.match(email.text, /Enamel mug/);
  });

  test('when a SKU is unknown, then the order is CANCELLED with that reason and nothing needed undoing', async () => {
    const body = buildOrder({
      items: [
        { sku: 'SKU-MUG', quantity: 1 },
        { sku: 'SKU-UNICORN', quantity: 1 },
      ],
    });
    const mugsBefore = await shop.stockOf('SKU-MUG');
    const orderId = await shop.placeOrder(body);
    const order = await shop.settled(orderId);

    assert.equal(order.status, 'CANCELLED');
    assert.match(order.cancellationReason ?? '', /unknown SKU: SKU-UNICORN/);
    assert.deepEqual(journey(order), expectedJourney('reserve-stock'));
    assert.equal(await shop.stockOf('SKU-MUG'), mugsBefore);
    assert.equal((await shop.get('payment', `/payments?orderId=${orderId}`)).status, 404);
    assert.equal((await shop.get('warehouse', `/shipments?orderId=${orderId}`)).status, 404);
    const email = await oneEmail(body.email, /cancel/i);
    assert.match(email.text, /SKU-UNICORN/);
  });

  test('when stock is short, then the order is CANCELLED and no stock is taken', async () => {
    const body = buildOrder({
      items: [
        { sku: 'SKU-COFFEE', quantity: 1 },
        { sku: 'SKU-RARE', quantity: 2 },
      ],
    });
    const [coffeeBefore, rareBefore] = [await shop.stockOf('SKU-COFFEE'), await shop.stockOf('SKU-RARE')];
    const order = await shop.settled(await shop.placeOrder(body));

    assert.equal(order.status, 'CANCELLED');
    assert.match(order.cancellationReason ?? '', /not enough stock for SKU-RARE/);
    assert.deepEqual(journey(order), expectedJourney('reserve-stock'));
    assert.equal(await shop.stockOf('SKU-COFFEE'), coffeeBefore);
    assert.equal(await shop.stockOf('SKU-RARE'), rareBefore);
    await oneEmail(body.email, /cancel/i);
  });

  test('when the payment is declined, then the stock is released and the order is CANCELLED', async () => {
    const body = buildOrder({ paymentMethod: 'tok_chargeDeclined' });
    const mugsBefore = await shop.stockOf('SKU-MUG');
    const orderId = await shop.placeOrder(body);
    const order = await shop.settled(orderId);

    assert.equal(order.status, 'CANCELLED');
    assert.match(order.cancellationReason ?? '', /payment declined/);
    assert.deepEqual(journey(order), expectedJourney('charge-payment'));
    assert.equal(await shop.stockOf('SKU-MUG'), mugsBefore);
    assert.equal((await shop.get('payment', `/payments?orderId=${orderId}`)).body.status, 'DECLINED');
    assert.equal((await shop.get('warehouse', `/shipments?orderId=${orderId}`)).status, 404);
    await oneEmail(body.email, /cancel/i);
  });

  test('when the payment provider never answers, then the step times out, is itself compensated, and the order is CANCELLED', async () => {
    const body = buildOrder({ paymentMethod: 'tok_timeout' });
    const mugsBefore = await shop.stockOf('SKU-MUG');
    const orderId = await shop.placeOrder(body);
    const order = await shop.settled(orderId);

    assert.equal(order.status, 'CANCELLED');
    assert.equal(order.cancellationReason, `charge-payment did not answer within ${SAGA_STEP_TIMEOUT_MS} ms`);
    assert.deepEqual(journey(order), expectedJourney('charge-payment', 'timed-out'));
    assert.equal(await shop.stockOf('SKU-MUG'), mugsBefore);
    // The refund found no charge at the provider once no charge call could still be outstanding.
    const payment = await eventually(async () => {
      const found = await shop.get('payment', `/payments?orderId=${orderId}`);
      return found.status === 200 ? found.body : undefined;
    });
    assert.equal(payment.status, 'CANCELLED');
    await oneEmail(body.email, /cancel/i);
  });

  test('when the warehouse does not serve the country, then the payment is refunded, the stock released, in that order', async () => {
    const body = buildOrder({ shippingAddress: { name: 'Scott', line1: 'Base 1', city: 'McMurdo', postalCode: '0000', country: 'AQ' } });
    const mugsBefore = await shop.stockOf('SKU-MUG');
    const orderId = await shop.placeOrder(body);
    const order = await shop.settled(orderId);

    assert.equal(order.status, 'CANCELLED');
    assert.match(order.cancellationReason ?? '', /unserved-country/);
    assert.deepEqual(journey(order), expectedJourney('create-shipment'));
    assert.equal(await shop.stockOf('SKU-MUG'), mugsBefore);
    const payment = (await shop.get('payment', `/payments?orderId=${orderId}`)).body;
    assert.equal(payment.status, 'REFUNDED');
    assert.equal(payment.refund.refundedCents, 3150);
    assert.equal((await shop.get('warehouse', `/shipments?orderId=${orderId}`)).body.status, 'REJECTED');
    await oneEmail(body.email, /cancel/i);
  });

  test('when the warehouse is down past the deadline, then the order waits for it and is CONFIRMED once it is back: a queue holding its command is a backlog, not a failure', async () => {
    await shop.stop('warehouse');
    const body = buildOrder();
    const orderId = await shop.placeOrder(body);
    await eventually(async () => ((await shop.order(orderId)).saga.currentStep === 'create-shipment' ? true : undefined), {
      what: 'the saga to wait on the warehouse',
    });
    // Twice the step's deadline: the command waits in warehouse.commands, so the deadline starts again.
    await sleep(SAGA_STEP_TIMEOUT_MS * 2);
    const waiting = await shop.order(orderId);
    assert.equal(waiting.status, 'PENDING');
    assert.deepEqual(journey(waiting), expectedJourney('create-shipment', 'pending'));

    await shop.start('warehouse');
    const order = await shop.settled(orderId);
    assert.equal(order.status, 'CONFIRMED');
    assert.equal((await shop.get('warehouse', `/shipments?orderId=${orderId}`)).body.status, 'CREATED');
    assert.equal((await shop.get('payment', `/payments?orderId=${orderId}`)).body.status, 'CHARGED');
    await oneEmail(body.email, /confirm/i);
  });

  test('when a command is lost (its queue purged), then the step times out, is compensated, and the order is CANCELLED', async () => {
    await shop.stop('warehouse');
    const body = buildOrder();
    const mugsBefore = await shop.stockOf('SKU-MUG');
    const orderId = await shop.placeOrder(body);
    await eventually(async () => ((await shop.order(orderId)).saga.currentStep === 'create-shipment' ? true : undefined), {
      what: 'the saga to wait on the warehouse',
    });
    const client = await TestBrokerClient.connect(shop.infra.rabbitmqUrl);
    try {
      await eventually(async () => ((await client.drainQueue(queueOf('warehouse'))).length > 0 ? true : undefined), {
        what: 'the command to purge',
      });
    } finally {
      await client.close();
    }
    await eventually(
      async () =>
        (await shop.order(orderId)).saga.steps.some((s) => s.step === 'create-shipment' && s.outcome === 'timed-out') ? true : undefined,
      { timeoutMs: SAGA_STEP_TIMEOUT_MS * 4, what: 'the shipment step to time out' },
    );
    assert.equal((await shop.order(orderId)).status, 'PENDING', 'not cancelled before its compensations are done');
    await shop.start('warehouse');
    const order = await shop.settled(orderId);

    assert.equal(order.status, 'CANCELLED');
    assert.match(order.cancellationReason ?? '', /create-shipment did not answer/);
    assert.deepEqual(journey(order), expectedJourney('create-shipment', 'timed-out'));
    assert.equal((await shop.get('payment', `/payments?orderId=${orderId}`)).body.status, 'REFUNDED');
    assert.equal(await shop.stockOf('SKU-MUG'), mugsBefore);
    await oneEmail(body.email, /cancel/i);
  });

  test('when every reply of a confirmed order is delivered again, then nothing changes and no command is sent', async () => {
    const client = await TestBrokerClient.connect(shop.infra.rabbitmqUrl);
    try {
      const replies = await client.listen(Exchanges.replies, '#');
      const commands = await client.listen(Exchanges.commands, '#');
      const orderId = await shop.placeOrder(buildOrder());
      const before = await shop.settled(orderId);
      assert.equal(before.status, 'CONFIRMED');
      const ours = replies.raw.filter(
        (message) => message.properties.correlationId === orderId || JSON.parse(message.content.toString()).correlationId === orderId,
      );
      const steps = expectedJourney().length; // a confirmed order has one reply per step
      assert.equal(ours.length, steps);
      const commandsBefore = commands.messages.length;
      for (const reply of ours)
        client.publishRaw(Exchanges.replies, reply.fields.routingKey, reply.content, { messageId: reply.properties.messageId });
      // Replies that are new messages for a finished saga are ignored too (a charge replayed by hand).
      const charged = ours.map((m) => JSON.parse(m.content.toString())).find((e) => e.type === paymentContracts.PaymentCharged.type);
      await client.send(paymentContracts.PaymentCharged, charged.data, { correlationId: orderId, causationId: charged.causationId });

      await eventually(async () => {
        const { rows } = await shop.services.order.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM inbox WHERE message_id = ANY($1::text[])`,
          [ours.map((m) => String(JSON.parse(m.content.toString()).id))],
        );
        return rows[0]?.n === steps ? true : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = await shop.order(orderId);
      assert.equal(after.status, 'CONFIRMED');
      assert.deepEqual(after.saga.steps, before.saga.steps);
      assert.equal(commands.messages.length, commandsBefore, 'no command was sent again');
    } finally {
      await client.close();
    }
  });

  test('every order of this run got exactly one email', async () => {
    const recipients = shop.sink.emails.flatMap((email) => email.to);
    assert.ok(recipients.length >= 7);
    for (const address of new Set(recipients)) assert.equal(emailsTo(address).length, 1, `one email to ${address}`);
  });
});
