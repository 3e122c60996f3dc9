import { order as orderEvents } from '@shop/contracts';
import type { SagaHookContext } from '@shop/saga';
import { orderRepository } from '../data-access/order-repository';
import type { OrderSagaData } from './order';

/** Every step succeeded: the order is confirmed with its priced lines, and the world is told. */
export async function confirmOrder({ tx, send }: SagaHookContext, order: OrderSagaData): Promise<void> {
  const lines = order.lines ?? [];
  const totalCents = order.totalCents ?? 0;
  await orderRepository.finish(tx, order.orderId, { status: 'CONFIRMED', lines, totalCents, cancellationReason: null });
  await send(orderEvents.OrderConfirmed, {
    orderId: order.orderId,
    customerId: order.customerId,
    email: order.email,
    lines,
    totalCents,
    currency: order.currency,
  });
}

/** A step failed and everything before it is undone: the order is cancelled with the reason. */
export async function cancelOrder({ tx, send }: SagaHookContext, order: OrderSagaData, reason: string): Promise<void> {
  await orderRepository.finish(tx, order.orderId, {
    status: 'CANCELLED',
    lines: order.lines ?? null,
    totalCents: order.totalCents ?? null,
    cancellationReason: reason,
  });
  await send(orderEvents.OrderCancelled, { orderId: order.orderId, customerId: order.customerId, email: order.email, reason });
}
