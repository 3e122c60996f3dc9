import type { Queryable } from '@shop/db';
import { paymentRepository, type ChargeAttempt, type Payment } from '../data-access/payment-repository';
import type { PaymentProvider } from './payment-provider';

export type ChargeOutcome =
  | { charged: true; paymentId: string; amountCents: number }
  | { charged: false; reason: 'declined' | 'order-cancelled'; detail: string };

/**
 * Charges an order once. The order id is the provider's idempotency key, so even a retry after
 * this transaction rolled back gets the first charge back instead of a second one; the stored
 * row makes a repeat give the same answer without asking the provider. An order refunded before
 * (its compensation overtook this command) is refused without calling the provider.
 */
export async function chargePayment(tx: Queryable, provider: PaymentProvider, attempt: ChargeAttempt): Promise<ChargeOutcome> {
  await paymentRepository.lockOrder(tx, attempt.orderId);
  const earlier = await paymentRepository.find(tx, attempt.orderId);
  if (earlier) return outcomeOf(earlier);

  const result = await provider.charge({
    idempotencyKey: attempt.orderId,
    amountCents: attempt.amountCents,
    currency: attempt.currency,
    paymentMethod: attempt.paymentMethod,
  });
  if (result.status === 'succeeded') {
    await paymentRepository.recordCharged(tx, attempt, result.chargeId);
    return { charged: true, paymentId: result.chargeId, amountCents: attempt.amountCents };
  }
  const detail = `${result.code}: ${result.message}`;
  await paymentRepository.recordDeclined(tx, attempt, detail);
  return { charged: false, reason: 'declined', detail };
}

function outcomeOf(payment: Payment): ChargeOutcome {
  switch (payment.status) {
    case 'CHARGED':
      return { charged: true, paymentId: payment.chargeId ?? '', amountCents: payment.amountCents ?? 0 };
    case 'DECLINED':
      return { charged: false, reason: 'declined', detail: payment.declineReason ?? 'declined' };
    case 'REFUNDED':
    case 'CANCELLED':
      return { charged: false, reason: 'order-cancelled', detail: 'the order was cancelled; it is not charged again' };
  }
}
