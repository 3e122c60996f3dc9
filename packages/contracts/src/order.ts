import { z } from 'zod';
import { event } from './message-contract';
import { cents, currency, orderId, pricedLine } from './shared-schemas';

const customer = { customerId: z.string().min(1), email: z.email() };

export const OrderConfirmed = event(
  'order.confirmed',
  z.object({ orderId, ...customer, lines: z.array(pricedLine).min(1), totalCents: cents, currency }),
);
export const OrderCancelled = event('order.cancelled', z.object({ orderId, ...customer, reason: z.string() }));
