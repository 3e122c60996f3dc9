import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inventory, payment, warehouse, type MessageContract } from '@shop/contracts';
import type { SagaStep } from '@shop/saga';
import type { OrderSagaData } from '../src/domain/order';
import { orderSaga } from '../src/domain/order-saga';

const placed: OrderSagaData = {
  orderId: '0b6f9c1e-8d47-4e59-9d0c-3f1f4a6a7b21',
  customerId: 'c-1',
  email: 'ada@example.com',
  items: [
    { sku: 'SKU-MUG', quantity: 2 },
    { sku: 'SKU-TEA', quantity: 1 },
  ],
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  paymentMethod: 'tok_visa',
  currency: 'EUR',
};
const priced = [
  { sku: 'SKU-MUG', quantity: 2, name: 'Enamel mug', unitPriceCents: 1200 },
  { sku: 'SKU-TEA', quantity: 1, name: 'Green tea 100 g', unitPriceCents: 750 },
];

const step = (name: string): SagaStep<OrderSagaData> => {
  const found = orderSaga.steps.find((s) => s.name === name);
  assert.ok(found, `the saga has a step ${name}`);
  return found;
};

/** The command a step sends for `data`, checked against its contract as the consumer would. */
const commandOf = (contract: MessageContract, built: unknown) => {
  const parsed = contract.schema.safeParse(built);
  assert.ok(parsed.success, `${contract.type} payload satisfies its contract: ${JSON.stringify(parsed.error?.issues)}`);
  return parsed.data;
};

describe('order saga definition', () => {
  test('the steps run in the business order: reserve stock, charge payment, create shipment', () => {
    assert.deepEqual(
      orderSaga.steps.map((s) => s.name),
      ['reserve-stock', 'charge-payment', 'create-shipment'],
    );
  });

  test('when the order is placed, then it sends inventory.reserve-stock with every line', () => {
    const reserve = step('reserve-stock');
    assert.equal(reserve.invoke.contract, inventory.ReserveStock);
    assert.deepEqual(commandOf(reserve.invoke.contract, reserve.invoke.build(placed)), { orderId: placed.orderId, items: placed.items });
  });

  test('given stock-reserved with prices, then it sends payment.charge for the priced total', () => {
    const afterReserve = step('reserve-stock').onSuccess.apply(placed, { orderId: placed.orderId, lines: priced });
    const charge = step('charge-payment');
    assert.equal(charge.invoke.contract, payment.ChargePayment);
    assert.deepEqual(commandOf(charge.invoke.contract, charge.invoke.build(afterReserve)), {
      orderId: placed.orderId,
      amountCents: 2 * 1200 + 750,
      currency: 'EUR',
      paymentMethod: 'tok_visa',
    });
  });

  test('given payment.charged, then it sends warehouse.create-shipment to the shipping address', () => {
    const charged = step('charge-payment').onSuccess.apply(
      { ...placed, lines: priced, totalCents: 3150 },
      { orderId: placed.orderId, paymentId: 'ch_1', amountCents: 3150 },
    );
    assert.equal(charged.paymentId, 'ch_1');
    const ship = step('create-shipment');
    assert.equal(ship.invoke.contract, warehouse.CreateShipment);
    assert.deepEqual(commandOf(ship.invoke.contract, ship.invoke.build(charged)), {
      orderId: placed.orderId,
      address: placed.shippingAddress,
      items: placed.items,
    });
  });

  test("given a rejection of any step, then the cancellation reason is the participant's explanation", () => {
    const stock = step('reserve-stock').onFailure[0]!;
    assert.equal(stock.contract, inventory.StockReservationRejected);
    assert.equal(
      stock.reason({ orderId: placed.orderId, reason: 'insufficient-stock', detail: 'not enough stock for SKU-RARE' }, placed),
      'not enough stock for SKU-RARE',
    );
    const declined = step('charge-payment').onFailure[0]!;
    assert.equal(
      declined.reason({ orderId: placed.orderId, reason: 'declined', detail: 'card_declined' }, placed),
      'payment declined: card_declined',
    );
    const unserved = step('create-shipment').onFailure[0]!;
    assert.match(
      unserved.reason({ orderId: placed.orderId, reason: 'unserved-country', detail: 'AQ is not served' }, placed),
      /unserved-country/,
    );
  });

  test('every step names its compensation and the reply that confirms it, each undoing only this order', () => {
    const expected = [
      ['reserve-stock', inventory.ReleaseStock, inventory.StockReleased],
      ['charge-payment', payment.RefundPayment, payment.PaymentRefunded],
      ['create-shipment', warehouse.CancelShipment, warehouse.ShipmentCancelled],
    ] as const;
    for (const [name, command, done] of expected) {
      const compensation = step(name).compensation;
      assert.ok(compensation, `${name} has a compensation`);
      assert.equal(compensation.contract, command);
      assert.equal(compensation.done, done);
      assert.deepEqual(commandOf(command, compensation.build(placed)), { orderId: placed.orderId });
    }
  });
});
