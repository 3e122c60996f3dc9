import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inventory, order, payment, warehouse } from '@shop/contracts';
import { createLogger } from '@shop/logger';
import { SagaEngine } from '../src/index';
import { aCheckout, checkoutSaga, pricedLines, TOTAL_CENTS } from './checkout-saga';
import { InMemoryCommandSender } from './in-memory-command-sender';
import { InMemorySagaStore } from './in-memory-saga-store';
import { given } from './saga-scenario';

const checkout = aCheckout();
const { orderId } = checkout;
const declined = { orderId, reason: 'declined', detail: 'card declined' } as const;

/** The saga started and its stock reserved: it awaits the charge, for 10 s. */
const awaitingCharge = () =>
  given(checkoutSaga, checkout)
    .whenStarted()
    .expectCommand(inventory.ReserveStock)
    .andGivenReply(inventory.StockReserved, { orderId, lines: pricedLines })
    .expectCommand(payment.ChargePayment);

/** The charge declined: it awaits the stock's release, for 10 s. */
const releasingStock = () => awaitingCharge().andGivenReply(payment.PaymentRejected, declined).expectCommand(inventory.ReleaseStock);

describe('saga engine: deadlines', () => {
  test('when a step does not answer by its deadline, then that step itself is undone, then the ones before it', async () => {
    await awaitingCharge()
      .whenTimePasses(9_999)
      .expectNothingSent()
      .expectState('RUNNING')
      .whenTimePasses(1)
      .expectCommand(payment.RefundPayment, { orderId })
      .expectState('COMPENSATING')
      .andGivenReply(payment.PaymentRefunded, { orderId, refundedCents: 0 })
      .expectCommand(inventory.ReleaseStock, { orderId })
      .andGivenReply(inventory.StockReleased, { orderId, released: true })
      .expectCompensated('charge-payment did not answer within 10000 ms')
      .expectEvent(order.OrderCancelled)
      .expectStepLog([
        'reserve-stock invoke started',
        'reserve-stock invoke succeeded',
        'charge-payment invoke started',
        'charge-payment invoke timed-out: charge-payment did not answer within 10000 ms',
        'charge-payment compensate started',
        'charge-payment compensate succeeded',
        'reserve-stock compensate started',
        'reserve-stock compensate succeeded',
      ]);
  });

  test('when a step has a timeout of its own, then its deadline and its compensation wait that long', async () => {
    await awaitingCharge()
      .andGivenReply(payment.PaymentCharged, { orderId, paymentId: 'pay-1', amountCents: TOTAL_CENTS })
      .expectCommand(warehouse.CreateShipment)
      .whenTimePasses(10_000)
      .expectNothingSent()
      .whenTimePasses(20_000)
      .expectCommand(warehouse.CancelShipment, { orderId })
      .expectDeadlineIn(30_000)
      .andGivenReply(warehouse.ShipmentCancelled, { orderId, cancelled: false })
      .expectCommand(payment.RefundPayment)
      .andGivenReply(payment.PaymentRefunded, { orderId, refundedCents: TOTAL_CENTS })
      .expectCommand(inventory.ReleaseStock)
      .andGivenReply(inventory.StockReleased, { orderId, released: true })
      .expectCompensated('create-shipment did not answer within 30000 ms')
      .expectEvent(order.OrderCancelled);
  });

  test('when the reply comes after the deadline fired, then it is ignored and the undo goes on', async () => {
    await awaitingCharge()
      .whenDeadlinePasses()
      .expectCommand(payment.RefundPayment)
      .andGivenReply(payment.PaymentCharged, { orderId, paymentId: 'pay-1', amountCents: TOTAL_CENTS }, { to: payment.ChargePayment })
      .expectNothingSent()
      .expectState('COMPENSATING')
      .andGivenReply(payment.PaymentRefunded, { orderId, refundedCents: TOTAL_CENTS })
      .expectCommand(inventory.ReleaseStock)
      .andGivenReply(inventory.StockReleased, { orderId, released: true })
      .expectCompensated('charge-payment did not answer within 10000 ms')
      .expectEvent(order.OrderCancelled);
  });

  test('when a compensation is not confirmed in time, then it is resent with doubling waits up to the cap, and only the last copy is accepted', async () => {
    await releasingStock()
      .expectDeadlineIn(10_000)
      .whenDeadlinePasses()
      .expectCommand(inventory.ReleaseStock, { orderId })
      .expectDeadlineIn(20_000)
      .whenDeadlinePasses()
      .expectCommand(inventory.ReleaseStock)
      .expectDeadlineIn(35_000)
      .whenDeadlinePasses()
      .expectCommand(inventory.ReleaseStock)
      .expectDeadlineIn(35_000)
      .expectState('COMPENSATING')
      .andGivenReply(inventory.StockReleased, { orderId, released: true }, { to: inventory.ReleaseStock, copy: 1 })
      .expectNothingSent()
      .expectState('COMPENSATING')
      .andGivenReply(inventory.StockReleased, { orderId, released: true })
      .expectCompensated('payment declined: card declined')
      .expectEvent(order.OrderCancelled)
      .expectStepLog([
        'reserve-stock invoke started',
        'reserve-stock invoke succeeded',
        'charge-payment invoke started',
        'charge-payment invoke failed: payment declined: card declined',
        'reserve-stock compensate started',
        'reserve-stock compensate resent: attempt 2',
        'reserve-stock compensate resent: attempt 3',
        'reserve-stock compensate resent: attempt 4',
        'reserve-stock compensate succeeded',
      ]);
  });

  test('when the deadline falls due while the command still waits in the outbox, then it is pushed back, and the wait restarts when the command leaves', async () => {
    await given(checkoutSaga, checkout)
      .andGivenBrokerUnreachable()
      .whenStarted()
      .expectCommand(inventory.ReserveStock)
      .whenDeadlinePasses()
      .expectNothingSent()
      .expectState('RUNNING')
      .expectDeadlineIn(10_000)
      .whenTimePasses(4_000)
      .whenBrokerReturns()
      .expectDeadlineIn(10_000)
      .whenTimePasses(9_999)
      .expectState('RUNNING')
      .andGivenReply(inventory.StockReserved, { orderId, lines: pricedLines })
      .expectCommand(payment.ChargePayment);
  });

  test("when messages wait in the participant's queue, then the deadline starts again instead of firing, until the queue has been empty for a whole wait", async () => {
    await awaitingCharge()
      .andGivenBacklogAt(payment.ChargePayment)
      .whenDeadlinePasses()
      .expectNothingSent()
      .expectState('RUNNING')
      .expectDeadlineIn(10_000)
      .whenDeadlinePasses()
      .expectNothingSent()
      .andGivenBacklogCleared()
      .whenDeadlinePasses()
      .expectNothingSent() // first seen empty: the command may have just been taken, a whole wait more
      .whenDeadlinePasses()
      .expectCommand(payment.RefundPayment);
  });

  test("when messages wait in another participant's queue, then the deadline fires", async () => {
    await awaitingCharge()
      .andGivenBacklogAt(inventory.ReserveStock)
      .andGivenBacklogAt(inventory.ReleaseStock)
      .whenDeadlinePasses()
      .expectCommand(payment.RefundPayment);
  });

  test("when messages wait in the queue of a compensation's participant, then the compensation is not resent until it has been empty for a whole wait", async () => {
    await releasingStock()
      .andGivenBacklogAt(inventory.ReleaseStock)
      .whenDeadlinePasses()
      .expectNothingSent()
      .expectState('COMPENSATING')
      .expectDeadlineIn(10_000)
      .andGivenBacklogCleared()
      .whenDeadlinePasses()
      .expectNothingSent()
      .whenDeadlinePasses()
      .expectCommand(inventory.ReleaseStock)
      .expectDeadlineIn(20_000);
  });

  test("when the participants' queues cannot be read, then the deadlines wait", async () => {
    await awaitingCharge()
      .andGivenQueuesUnreadable()
      .whenDeadlinePasses()
      .expectNothingSent()
      .expectState('RUNNING')
      .expectDeadlineIn(10_000);
  });

  test("when the participant's queue was seen busy, then the deadline fires only a whole wait after the queue was first seen empty", async () => {
    let now = 1_000_000;
    let behind = true;
    const engine = new SagaEngine(checkoutSaga, {
      store: new InMemorySagaStore(() => now),
      sender: new InMemoryCommandSender(),
      logger: createLogger({ service: 'saga-test', level: 'silent' }),
      stepTimeoutMs: 10_000,
      compensationRetryMaxMs: 35_000,
      now: () => now,
      participantBacklog: async () => behind,
    });
    const due = [{ id: 'a', state: 'RUNNING', stepIndex: 1 }] as const;
    assert.deepEqual(await engine.awaitingBusyParticipants(due), ['a']);
    behind = false; // meanwhile the participant took the last message, perhaps this saga's command
    now += 10_000;
    assert.deepEqual(await engine.awaitingBusyParticipants(due), ['a'], 'first seen empty now: the reply gets a whole wait from here');
    now += 9_999;
    assert.deepEqual(await engine.awaitingBusyParticipants(due), ['a'], 'still within a wait of the queue seen empty');
    now += 1;
    assert.deepEqual(await engine.awaitingBusyParticipants(due), [], 'a whole wait with the queue empty: silence');
  });

  test('when a participant was never seen behind, then an empty queue lets the deadline fire at once', async () => {
    const engine = new SagaEngine(checkoutSaga, {
      store: new InMemorySagaStore(Date.now),
      sender: new InMemoryCommandSender(),
      logger: createLogger({ service: 'saga-test', level: 'silent' }),
      stepTimeoutMs: 10_000,
      compensationRetryMaxMs: 35_000,
      participantBacklog: async () => false,
    });
    assert.deepEqual(await engine.awaitingBusyParticipants([{ id: 'a', state: 'RUNNING', stepIndex: 1 }]), []);
  });

  test('when many due sagas await the same command, then its queue is asked once, and each saga is matched by what it awaits', async () => {
    const asked: string[] = [];
    const engine = new SagaEngine(checkoutSaga, {
      store: new InMemorySagaStore(Date.now),
      sender: new InMemoryCommandSender(),
      logger: createLogger({ service: 'saga-test', level: 'silent' }),
      stepTimeoutMs: 10_000,
      compensationRetryMaxMs: 35_000,
      participantBacklog: async (command) => {
        asked.push(command.type);
        return command === payment.ChargePayment;
      },
    });
    const busy = await engine.awaitingBusyParticipants([
      { id: 'a', state: 'RUNNING', stepIndex: 1 },
      { id: 'b', state: 'COMPENSATING', stepIndex: 1 },
      { id: 'c', state: 'RUNNING', stepIndex: 1 },
      { id: 'd', state: 'RUNNING', stepIndex: 0 },
    ]);
    assert.deepEqual(busy, ['a', 'c']);
    assert.deepEqual(asked.sort(), ['inventory.reserve-stock', 'payment.charge', 'payment.refund']);
  });
});
