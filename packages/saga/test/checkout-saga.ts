import { randomUUID } from 'node:crypto';
import { inventory, order, payment, warehouse, type OrderItem, type PricedLine, type ShippingAddress } from '@shop/contracts';
import { defineSaga } from '../src/index';
import type { MemoryTransaction } from './in-memory-saga-store';

/**
 * A saga for the engine's tests, shaped like the order service's (which a package must not
 * import): three steps, each with its compensation, the last with a deadline of its own.
 */
export interface Checkout {
  orderId: string;
  customerId: string;
  email: string;
  items: OrderItem[];
  shippingAddress: ShippingAddress;
  paymentMethod: string;
  currency: string;
  lines?: PricedLine[];
  totalCents?: number;
  paymentId?: string;
  shipmentId?: string;
}

export const SHIPMENT_TIMEOUT_MS = 30_000;

export const checkoutSaga = defineSaga<Checkout, MemoryTransaction>('checkout')
  .step('reserve-stock')
  .invoke(inventory.ReserveStock, (checkout) => ({ orderId: checkout.orderId, items: checkout.items }))
  .onReply(inventory.StockReserved, (checkout, reply) => ({
    ...checkout,
    lines: reply.lines,
    totalCents: reply.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
  }))
  .failOn(inventory.StockReservationRejected, (reply) => reply.detail)
  .withCompensation(inventory.ReleaseStock, (checkout) => ({ orderId: checkout.orderId }), inventory.StockReleased)

  .step('charge-payment')
  .invoke(payment.ChargePayment, (checkout) => ({
    orderId: checkout.orderId,
    amountCents: checkout.totalCents ?? 0,
    currency: checkout.currency,
    paymentMethod: checkout.paymentMethod,
  }))
  .onReply(payment.PaymentCharged, (checkout, reply) => ({ ...checkout, paymentId: reply.paymentId }))
  .failOn(payment.PaymentRejected, (reply) => `payment ${reply.reason}: ${reply.detail}`)
  .withCompensation(payment.RefundPayment, (checkout) => ({ orderId: checkout.orderId }), payment.PaymentRefunded)

  .step('create-shipment')
  .invoke(warehouse.CreateShipment, (checkout) => ({ orderId: checkout.orderId, address: checkout.shippingAddress, items: checkout.items }))
  .onReply(warehouse.ShipmentCreated, (checkout, reply) => ({ ...checkout, shipmentId: reply.shipmentId }))
  .failOn(warehouse.ShipmentRejected, (reply) => `shipping ${reply.reason}: ${reply.detail}`)
  .withCompensation(warehouse.CancelShipment, (checkout) => ({ orderId: checkout.orderId }), warehouse.ShipmentCancelled)
  .timeout(SHIPMENT_TIMEOUT_MS)

  .whenCompleted(async ({ send }, checkout) => {
    const { orderId, customerId, email, currency } = checkout;
    await send(order.OrderConfirmed, {
      orderId,
      customerId,
      email,
      currency,
      lines: checkout.lines ?? [],
      totalCents: checkout.totalCents ?? 0,
    });
  })
  .whenCompensated(async ({ send }, { orderId, customerId, email }, reason) => {
    await send(order.OrderCancelled, { orderId, customerId, email, reason });
  });

export function aCheckout(overrides: Partial<Checkout> = {}): Checkout {
  return {
    orderId: randomUUID(),
    customerId: 'c-42',
    email: 'ada@example.com',
    items: [
      { sku: 'SKU-MUG', quantity: 2 },
      { sku: 'SKU-TEA', quantity: 1 },
    ],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    paymentMethod: 'tok_visa',
    currency: 'EUR',
    ...overrides,
  };
}

/** What inventory answers for `aCheckout()`'s items: 2 × 12.00 + 1 × 7.50. */
export const pricedLines: PricedLine[] = [
  { sku: 'SKU-MUG', quantity: 2, name: 'Enamel mug', unitPriceCents: 1200 },
  { sku: 'SKU-TEA', quantity: 1, name: 'Green tea 100 g', unitPriceCents: 750 },
];
export const TOTAL_CENTS = 3150;
