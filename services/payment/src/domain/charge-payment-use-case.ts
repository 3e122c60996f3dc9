import type { Queryable, RunInTransaction } from '@shop/db';
import { paymentRepository, type ChargeAttempt, type Payment } from '../data-access/payment-repository';
import type { ChargeResult, PaymentProvider } from './payment-provider';

export type ChargeOutcome =
  { charged: true; paymentId: string; amountCents: number } | { charged: false; reason: 'declined' | 'order-cancelled'; detail: string };

/** What asking the provider gave: nothing asked (the order's payment was decided before), or its answer. */
export type ChargeCall = { asked: false } | { asked: true; result: ChargeResult };

export interface ProviderCallDependencies {
  provider: PaymentProvider;
  /** A short transaction of its own, before the call: no transaction stays open while the provider answers. */
  transaction: RunInTransaction;
}

/**
 * Outside any transaction: records the intent (the order is PENDING, with the call's start), then
 * asks the provider, with the order id as the idempotency key. If the answer is lost (a timeout,
 * a crash before it is recorded), asking again with the same key gets the first charge back,
 * never a second one. An order whose payment was decided before (a repeat, or a refund that
 * overtook this command) is not asked for again.
 */
export async function askProviderToCharge(
  { provider, transaction }: ProviderCallDependencies,
  attempt: ChargeAttempt,
): Promise<ChargeCall> {
  const payment = await transaction((tx) => paymentRepository.beginCharge(tx, attempt));
  if (payment.status !== 'PENDING') return { asked: false };
  const result = await provider.charge({
    idempotencyKey: attempt.orderId,
    amountCents: attempt.amountCents,
    currency: attempt.currency,
    paymentMethod: attempt.paymentMethod,
  });
  return { asked: true, result };
}

/**
 * In the message's transaction: records the provider's answer while the charge is still PENDING
 * and says what to reply. A refund that came in while the provider was answering has cancelled
 * it; the refund settles the money (it finds the charge at the provider), and the reply is that
 * the order was cancelled.
 */
export async function recordCharge(tx: Queryable, orderId: string, call: ChargeCall): Promise<ChargeOutcome> {
  let payment: Payment | undefined;
  if (call.asked) {
    const { result } = call;
    const answer = result.status === 'succeeded' ? { chargeId: result.chargeId } : { declineReason: `${result.code}: ${result.message}` };
    payment = await paymentRepository.recordChargeResult(tx, orderId, answer);
  } else {
    payment = await paymentRepository.find(tx, orderId);
  }
  if (!payment) throw new Error(`payment of order ${orderId} disappeared`);
  return outcomeOf(payment);
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
    case 'PENDING':
      throw new Error(`payment of order ${payment.orderId} is still pending after its charge call`);
  }
}
