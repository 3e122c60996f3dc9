import { inventory, payment, warehouse } from '@shop/contracts';
import { defineSaga } from '@shop/saga';
import { cancelOrder, confirmOrder } from './finish-order-use-case';
import { totalOf, type OrderSagaData } from './order';

/**
 * Placing an order, as the business runs it: reserve the stock (which prices the lines), charge
 * the total, create the shipment. Each step names its undo; when a step fails, the steps before
 * it are undone in reverse order and the order is cancelled with the step's reason.
 */
export const orderSaga = defineSaga<OrderSagaData>('order')
  .step('reserve-stock')
  .invoke(inventory.ReserveStock, (order) => ({ orderId: order.orderId, items: order.items }))
  .onReply(inventory.StockReserved, (order, reply) => ({ ...order, lines: reply.lines, totalCents: totalOf(reply.lines) }))
  .failOn(inventory.StockReservationRejected, (reply) => reply.detail)
  .withCompensation(inventory.ReleaseStock, (order) => ({ orderId: order.orderId }), inventory.StockReleased)

  .step('charge-payment')
  .invoke(payment.ChargePayment, (order) => ({
    orderId: order.orderId,
    amountCents: order.totalCents ?? 0,
    currency: order.currency,
    paymentMethod: order.paymentMethod,
  }))
  .onReply(payment.PaymentCharged, (order, reply) => ({ ...order, paymentId: reply.paymentId }))
  .failOn(payment.PaymentRejected, (reply) => `payment ${reply.reason}: ${reply.detail}`)
  .withCompensation(payment.RefundPayment, (order) => ({ orderId: order.orderId }), payment.PaymentRefunded)

  .step('create-shipment')
  .invoke(warehouse.CreateShipment, (order) => ({ orderId: order.orderId, address: order.shippingAddress, items: order.items }))
  .onReply(warehouse.ShipmentCreated, (order, reply) => ({ ...order, shipmentId: reply.shipmentId }))
  .failOn(warehouse.ShipmentRejected, (reply) => `shipping ${reply.reason}: ${reply.detail}`)
  .withCompensation(warehouse.CancelShipment, (order) => ({ orderId: order.orderId }), warehouse.ShipmentCancelled)

  .whenCompleted(confirmOrder)
  .whenCompensated(cancelOrder);
