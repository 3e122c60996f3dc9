import { payment, type PayloadOf } from '@shop/contracts';
import { on, PermanentError, type Envelope, type MessageHandler } from '@shop/messaging';
import { askProviderToCharge, recordCharge, type ProviderCallDependencies } from '../../domain/charge-payment-use-case';
import { ProviderRejectedRequestError } from '../../domain/payment-provider';
import { askProviderToRefund, recordRefund, RefundRefusedError } from '../../domain/refund-payment-use-case';

export interface PaymentHandlerDependencies extends ProviderCallDependencies {
  /** How long a charge call can last at most: until then, a refund cannot tell from the provider's books whether it charged. */
  chargeCallWindowMs: number;
}

/** Refusals that asking again will not change go to the dead-letter queue with their reason. */
const permanentWhenRefused = (error: unknown): never => {
  if (error instanceof ProviderRejectedRequestError || error instanceof RefundRefusedError)
    throw new PermanentError(error.message, { cause: error });
  throw error;
};

/**
 * What happens when payment.charge or payment.refund arrives: the provider is asked outside any
 * transaction (`outside`, concurrently for every message in hand), then the answer is recorded
 * and the reply sent in the message's transaction.
 */
export function paymentCommandHandlers(dependencies: PaymentHandlerDependencies): MessageHandler[] {
  const askToCharge = ({ data }: Envelope<PayloadOf<typeof payment.ChargePayment>>) =>
    askProviderToCharge(dependencies, data).catch(permanentWhenRefused);
  const askToRefund = ({ data }: Envelope<PayloadOf<typeof payment.RefundPayment>>) =>
    askProviderToRefund(dependencies, data.orderId).catch(permanentWhenRefused);
  return [
    on(
      payment.ChargePayment,
      async ({ message, tx, send, outside }) => {
        const { orderId } = message.data;
        const outcome = await recordCharge(tx, orderId, outside);
        if (outcome.charged)
          await send(payment.PaymentCharged, { orderId, paymentId: outcome.paymentId, amountCents: outcome.amountCents });
        else await send(payment.PaymentRejected, { orderId, reason: outcome.reason, detail: outcome.detail });
      },
      { outside: askToCharge },
    ),
    on(
      payment.RefundPayment,
      async ({ message, tx, send, outside }) => {
        const { orderId } = message.data;
        await send(payment.PaymentRefunded, { orderId, refundedCents: await recordRefund(tx, orderId, outside) });
      },
      { outside: askToRefund },
    ),
  ];
}
