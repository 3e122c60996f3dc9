import { z } from 'zod';
import { command, reply } from './message-contract';
import { orderId, orderItem, pricedLine } from './shared-schemas';

/** Reserve every line of an order, all or nothing. */
export const ReserveStock = command('inventory.reserve-stock', z.object({ orderId, items: z.array(orderItem).min(1) }));
export const StockReserved = reply('inventory.stock-reserved', z.object({ orderId, lines: z.array(pricedLine).min(1) }));
export const StockReservationRejected = reply(
  'inventory.stock-reservation-rejected',
  z.object({ orderId, reason: z.enum(['unknown-sku', 'insufficient-stock', 'order-cancelled']), detail: z.string() }),
);

/** Compensation: give back what the reservation took. Safe for an order never reserved. */
export const ReleaseStock = command('inventory.release-stock', z.object({ orderId }));
export const StockReleased = reply('inventory.stock-released', z.object({ orderId, released: z.boolean() }));
