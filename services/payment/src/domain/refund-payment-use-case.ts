import type { Queryable } from '@shop/db';
import { PermanentError } from '@shop/messaging';
import { paymentRepository } from '../data-access/payment-repository';
import type { PaymentProvider } from './payment-provider';

/**
 * Compensation: refunds what the order was charged, once, and returns the cents refunded (0 when
 * nothing was charged). A repeat returns the same amount without refunding again.
 */
export async function refundPayment(tx: Queryable, provider: PaymentProvider, orderId: string): Promise<number> {
  await paymentRepository.lockOrder(tx, orderId);
  const payment = await paymentRepository.find(tx, orderId);
  if (!payment) return refundUnrecordedCharge(tx, provider, orderId);
  if (payment.status === 'REFUNDED') return payment.refund?.refundedCents ?? 0;
  if (payment.status !== 'CHARGED' || !payment.chargeId || payment.amountCents === null) return 0;

  const refundId = await refundAtProvider(provider, payment.chargeId, payment.amountCents);
  await paymentRepository.markRefunded(tx, orderId, payment.amountCents, refundId);
  return payment.amountCents;
}

/**
 * No record of a charge here. The provider may still hold one: a charge attempt whose transaction
 * rolled back after the provider took the money. That charge is refunded instead of being lost;
 * otherwise a CANCELLED marker is left, so a charge arriving late is refused.
 */
async function refundUnrecordedCharge(tx: Queryable, provider: PaymentProvider, orderId: string): Promise<number> {
  const charge = await provider.findCharge(orderId);
  if (!charge) {
    await paymentRepository.recordCancelled(tx, orderId);
    return 0;
  }
  const { chargeId, amountCents, currency, paymentMethod } = charge;
  await paymentRepository.recordCharged(tx, { orderId, amountCents, currency, paymentMethod }, chargeId);
  const unrefunded = amountCents - charge.refundedCents;
  const refundId = unrefunded > 0 ? await refundAtProvider(provider, chargeId, unrefunded) : null;
  await paymentRepository.markRefunded(tx, orderId, amountCents, refundId);
  return amountCents;
}

/**
 * Returns the provider's refund id. "Already refunded" means an earlier attempt of ours refunded
 * it and then rolled back, so it counts as done; any other failure will not heal by retrying.
 */
async function refundAtProvider(provider: PaymentProvider, chargeId: string, amountCents: number): Promise<string | null> {
  const result = await provider.refund({ chargeId, amountCents });
  if (result.status === 'succeeded') return result.refundId;
  if (result.code === 'charge_already_refunded') return null;
  throw new PermanentError(`refund of ${chargeId} failed: ${result.code}: ${result.message}`);
}
