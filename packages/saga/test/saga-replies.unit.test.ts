import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inventory, order, payment, warehouse } from '@shop/contracts';
import { createLogger } from '@shop/logger';
import { createEnvelope } from '@shop/messaging';
import { defineSaga, SagaEngine } from '../src/index';
import { aCheckout, checkoutSaga, pricedLines, TOTAL_CENTS } from './checkout-saga';
import { InMemoryCommandSender } from './in-memory-command-sender';
import { InMemorySagaStore, MemoryTransaction } from './in-memory-saga-store';
import { given } from './saga-scenario';

const checkout = aCheckout();
const { orderId } = checkout;
const cancelled = (reason: string) => ({ orderId, customerId: checkout.customerId, email: checkout.email, reason });

/** The saga started and its stock reserved: it awaits the charge. */
const awaitingCharge = () =>
  given(checkoutSaga, checkout)
    .whenStarted()
    .expectCommand(inventory.ReserveStock)
    .andGivenReply(inventory.StockReserved, { orderId, lines: pricedLines })
    .expectCommand(payment.ChargePayment);

/** The stock reserved and the payment charged: it awaits the shipment. */
const awaitingShipment = () =>
  awaitingCharge()
    .andGivenReply(payment.PaymentCharged, { orderId, paymentId: 'pay-1', amountCents: TOTAL_CENTS })
    .expectCommand(warehouse.CreateShipment);

describe('saga engine: replies', () => {
  test('when every step succeeds, then each step sends its command with what the earlier steps learned, and the saga completes once', async () => {
    await given(checkoutSaga, checkout)
      .whenStarted()
      .expectCommand(inventory.ReserveStock, { orderId, items: checkout.items })
      .expectState('RUNNING')
      .expectDeadlineIn(10_000)
      .andGivenReply(inventory.StockReserved, { orderId, lines: pricedLines })
      .expectCommand(payment.ChargePayment, { orderId, amountCents: TOTAL_CENTS, currency: 'EUR', paymentMethod: 'tok_visa' })
      .andGivenReply(payment.PaymentCharged, { orderId, paymentId: 'pay-1', amountCents: TOTAL_CENTS })
      .expectCommand(warehouse.CreateShipment, { orderId, address: checkout.shippingAddress, items: checkout.items })
      .expectDeadlineIn(30_000)
      .andGivenReply(warehouse.ShipmentCreated, { orderId, shipmentId: 'ship-1' })
      .expectCompleted({ ...checkout, lines: pricedLines, totalCents: TOTAL_CENTS, paymentId: 'pay-1', shipmentId: 'ship-1' })
      .expectEvent(order.OrderConfirmed, {
        orderId,
        customerId: 'c-42',
        email: checkout.email,
        lines: pricedLines,
        totalCents: TOTAL_CENTS,
        currency: 'EUR',
      })
      .expectStepLog([
        'reserve-stock invoke started',
        'reserve-stock invoke succeeded',
        'charge-payment invoke started',
        'charge-payment invoke succeeded',
        'create-shipment invoke started',
        'create-shipment invoke succeeded',
      ]);
  });

  test('when the first step fails, then there is nothing to undo and the saga is compensated at once with its reason', async () => {
    await given(checkoutSaga, checkout)
      .whenStarted()
      .expectCommand(inventory.ReserveStock)
      .andGivenReply(inventory.StockReservationRejected, { orderId, reason: 'unknown-sku', detail: 'unknown SKU SKU-UNICORN' })
      .expectCompensated('unknown SKU SKU-UNICORN')
      .expectEvent(order.OrderCancelled, cancelled('unknown SKU SKU-UNICORN'))
      .expectStepLog(['reserve-stock invoke started', 'reserve-stock invoke failed: unknown SKU SKU-UNICORN']);
  });

  test('when the second step fails, then the first is undone, and once that is confirmed the saga is compensated with the reason', async () => {
    await awaitingCharge()
      .andGivenReply(payment.PaymentRejected, { orderId, reason: 'declined', detail: 'card declined' })
      .expectCommand(inventory.ReleaseStock, { orderId })
      .expectState('COMPENSATING')
      .expectDeadlineIn(10_000)
      .andGivenReply(inventory.StockReleased, { orderId, released: true })
      .expectCompensated('payment declined: card declined')
      .expectEvent(order.OrderCancelled, cancelled('payment declined: card declined'));
  });

  test('when the third step fails, then the earlier steps are undone one at a time in reverse order', async () => {
    await awaitingShipment()
      .andGivenReply(warehouse.ShipmentRejected, { orderId, reason: 'unserved-country', detail: 'AQ is not served' })
      .expectCommand(payment.RefundPayment, { orderId })
      .andGivenReply(payment.PaymentRefunded, { orderId, refundedCents: TOTAL_CENTS })
      .expectCommand(inventory.ReleaseStock, { orderId })
      .andGivenReply(inventory.StockReleased, { orderId, released: true })
      .expectCompensated('shipping unserved-country: AQ is not served')
      .expectEvent(order.OrderCancelled)
      .expectStepLog([
        'reserve-stock invoke started',
        'reserve-stock invoke succeeded',
        'charge-payment invoke started',
        'charge-payment invoke succeeded',
        'create-shipment invoke started',
        'create-shipment invoke failed: shipping unserved-country: AQ is not served',
        'charge-payment compensate started',
        'charge-payment compensate succeeded',
        'reserve-stock compensate started',
        'reserve-stock compensate succeeded',
      ]);
  });

  test('when the same reply arrives twice, then the second is ignored and the next command is sent once', async () => {
    await given(checkoutSaga, checkout)
      .whenStarted()
      .expectCommand(inventory.ReserveStock)
      .andGivenReply(inventory.StockReserved, { orderId, lines: pricedLines })
      .expectCommand(payment.ChargePayment)
      .andGivenTheSameReplyAgain()
      .expectNothingSent()
      .expectState('RUNNING')
      .expectStepLog(['reserve-stock invoke started', 'reserve-stock invoke succeeded', 'charge-payment invoke started']);
  });

  test('when a compensation is confirmed twice, then the second confirmation is ignored', async () => {
    await awaitingShipment()
      .andGivenReply(warehouse.ShipmentRejected, { orderId, reason: 'unserved-country', detail: 'AQ is not served' })
      .expectCommand(payment.RefundPayment)
      .andGivenReply(payment.PaymentRefunded, { orderId, refundedCents: TOTAL_CENTS })
      .expectCommand(inventory.ReleaseStock)
      .andGivenTheSameReplyAgain()
      .expectNothingSent()
      .expectState('COMPENSATING');
  });

  test('when a reply arrives for a saga that does not exist, then it is ignored', async () => {
    const scenario = given(checkoutSaga, checkout)
      .whenStarted()
      .expectCommand(inventory.ReserveStock)
      .whenReplyForAnotherSaga(inventory.StockReserved, { orderId, lines: pricedLines })
      .expectNothingSent()
      .expectStepLog(['reserve-stock invoke started']);
    await scenario;
    assert.equal(scenario.store.size, 1, 'no saga was made for it');
  });

  test('when a reply names a saga of another definition, then it is ignored and that saga is left as it was', async () => {
    const store = new InMemorySagaStore(Date.now);
    const sender = new InMemoryCommandSender();
    const settings = {
      store,
      sender,
      logger: createLogger({ service: 'saga-test', level: 'silent' }),
      stepTimeoutMs: 10_000,
      compensationRetryMaxMs: 35_000,
    };
    const other = new SagaEngine({ ...checkoutSaga, name: 'other' }, settings);
    const engine = new SagaEngine(checkoutSaga, settings);
    await MemoryTransaction.run((tx) => other.start(tx, orderId, checkout));
    const [reserve] = sender.sent;
    const before = store.find(orderId);
    const reply = createEnvelope(
      inventory.StockReserved,
      { orderId, lines: pricedLines },
      { correlationId: orderId, causationId: reserve!.id },
    );
    await MemoryTransaction.run((tx) => engine.onReply(tx, reply, inventory.StockReserved));
    assert.deepEqual(
      sender.sent.map((m) => m.type),
      ['inventory.reserve-stock'],
    );
    assert.deepEqual(store.find(orderId), before);
  });

  test('when a step is answered with a reply it does not expect, then it is ignored and the step still awaits its own', async () => {
    await awaitingCharge()
      .andGivenReply(warehouse.ShipmentCreated, { orderId, shipmentId: 'ship-1' })
      .expectNothingSent()
      .andGivenReply(payment.PaymentCharged, { orderId, paymentId: 'pay-1', amountCents: TOTAL_CENTS })
      .expectCommand(warehouse.CreateShipment);
  });

  test('when a compensation is answered with another compensation reply, then it is ignored and the compensation still awaits its own', async () => {
    await awaitingCharge()
      .andGivenReply(payment.PaymentRejected, { orderId, reason: 'declined', detail: 'card declined' })
      .expectCommand(inventory.ReleaseStock)
      .andGivenReply(payment.PaymentRefunded, { orderId, refundedCents: 0 })
      .expectNothingSent()
      .expectState('COMPENSATING')
      .andGivenReply(inventory.StockReleased, { orderId, released: true })
      .expectCompensated('payment declined: card declined')
      .expectEvent(order.OrderCancelled);
  });

  test('when a failed step is preceded by one without a compensation, then the undo skips it', async () => {
    const saga = defineSaga<{ orderId: string }, MemoryTransaction>('no-undo')
      .step('reserve-stock')
      .invoke(inventory.ReserveStock, ({ orderId }) => ({ orderId, items: [{ sku: 'SKU-MUG', quantity: 1 }] }))
      .onReply(inventory.StockReserved, (data) => data)
      .withCompensation(inventory.ReleaseStock, ({ orderId }) => ({ orderId }), inventory.StockReleased)
      .step('notify-warehouse')
      .invoke(warehouse.CreateShipment, ({ orderId }) => ({
        orderId,
        address: checkout.shippingAddress,
        items: [{ sku: 'SKU-MUG', quantity: 1 }],
      }))
      .onReply(warehouse.ShipmentCreated, (data) => data)
      .step('charge-payment')
      .invoke(payment.ChargePayment, ({ orderId }) => ({ orderId, amountCents: 1200, currency: 'EUR', paymentMethod: 'tok_visa' }))
      .onReply(payment.PaymentCharged, (data) => data)
      .failOn(payment.PaymentRejected, (reply) => reply.detail)
      .whenCompleted(async () => undefined)
      .whenCompensated(async () => undefined);
    await given(saga, { orderId })
      .whenStarted()
      .expectCommand(inventory.ReserveStock)
      .andGivenReply(inventory.StockReserved, { orderId, lines: pricedLines })
      .expectCommand(warehouse.CreateShipment)
      .andGivenReply(warehouse.ShipmentCreated, { orderId, shipmentId: 'ship-1' })
      .expectCommand(payment.ChargePayment)
      .andGivenReply(payment.PaymentRejected, { orderId, reason: 'declined', detail: 'card declined' })
      .expectCommand(inventory.ReleaseStock)
      .andGivenReply(inventory.StockReleased, { orderId, released: true })
      .expectCompensated('card declined');
  });
});
