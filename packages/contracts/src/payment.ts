import { z } from 'zod';
import { command, reply } from './message-contract';
import { cents, currency, orderId } from './shared-schemas';

/** Charge the order's total; the order id is the provider's idempotency key. */
export const ChargePayment = command(
  'payment.charge',
  z.object({ orderId, amountCents: cents, currency, paymentMethod: z.string().min(1).max(100) }),
);
export const PaymentCharged = reply('payment.charged', z.object({ orderId, paymentId: z.string(), amountCents: cents }));
export const PaymentRejected = reply(
  'payment.rejected',
  z.object({ orderId, reason: z.enum(['declined', 'order-cancelled']), detail: z.string() }),
);

/** Compensation: refund whatever was charged for the order. Safe for an order never charged. */
export const RefundPayment = command('payment.refund', z.object({ orderId }));
export const PaymentRefunded = reply('payment.refunded', z.object({ orderId, refundedCents: cents }));
