import { payment } from '@shop/contracts';
import type { PoolClient } from '@shop/db';
import { on, type Envelope, type MessageHandler } from '@shop/messaging';
import { injectFaults, type FaultSettings } from '@shop/runtime';
import { chargePayment } from '../../domain/charge-payment-use-case';
import { lockCommandBatch } from '../../domain/lock-command-batch';
import type { PaymentProvider } from '../../domain/payment-provider';
import { refundPayment } from '../../domain/refund-payment-use-case';

/** Before any handler of a batch runs: its messages passed their contracts, so each has an orderId. */
const lockOrders = (tx: PoolClient, messages: readonly Envelope[]) => lockCommandBatch(tx, messages.map((message) => message.data as { orderId: string }));

/** What happens when payment.charge or payment.refund arrives. */
export function paymentCommandHandlers(provider: PaymentProvider, faults: FaultSettings): MessageHandler[] {
  return [
    on(payment.ChargePayment, async ({ message, tx, send }) => {
      await injectFaults(faults, 'payment');
      const { orderId } = message.data;
      const outcome = await chargePayment(tx, provider, message.data);
      if (outcome.charged) await send(payment.PaymentCharged, { orderId, paymentId: outcome.paymentId, amountCents: outcome.amountCents });
      else await send(payment.PaymentRejected, { orderId, reason: outcome.reason, detail: outcome.detail });
    }, { prepare: lockOrders }),
    on(payment.RefundPayment, async ({ message, tx, send }) => {
      await injectFaults(faults, 'payment');
      const { orderId } = message.data;
      const refundedCents = await refundPayment(tx, provider, orderId);
      await send(payment.PaymentRefunded, { orderId, refundedCents });
    }, { prepare: lockOrders }),
  ];
}
