import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '@shop/db';
import { paymentRepository } from '../data-access/payment-repository';
import type { ProviderCallDependencies } from './charge-payment-use-case';
import type { PaymentProvider } from './payment-provider';

/** What asking the provider gave: a refund (made now or before), proof that nothing was charged, or nothing to ask. */
export type RefundCall =
  | { kind: 'refunded'; chargeId: string; amountCents: number; refundId: string | null }
  | { kind: 'nothing-charged' }
  | { kind: 'nothing-to-ask' };

/** The provider refused the refund for a reason that will not heal (not "already refunded"). */
export class RefundRefusedError extends Error {
  constructor(chargeId: string, code: string, message: string) {
    super(`refund of ${chargeId} failed: ${code}: ${message}`);
    this.name = 'RefundRefusedError';
  }
}

/**
 * Compensation, outside any transaction. First, in a short transaction, a pending charge is
 * cancelled so that no new charge call starts for the order. Then:
 * - a recorded charge is refunded, with an idempotency key of its own, so a repeat refunds once;
 * - a charge asked for but never recorded (its answer lost, or still on its way) is looked up at
 *   the provider by the order id: found, it is refunded; not found, it is proof that nothing was
 *   charged once no charge call can still be outstanding (`chargeCallWindowMs`, the provider
 *   client's longest call): if one can, the refund waits for it to end and looks again. The wait
 *   holds only this message, outside any transaction.
 */
export async function askProviderToRefund(
  { provider, transaction, chargeCallWindowMs }: ProviderCallDependencies & { chargeCallWindowMs: number },
  orderId: string,
): Promise<RefundCall> {
  const { payment, chargeOutstandingForMs } = await transaction((tx) => paymentRepository.beginRefund(tx, orderId, chargeCallWindowMs));
  if (payment.status === 'CHARGED' && payment.chargeId && payment.amountCents !== null) {
    return refundAtProvider(provider, payment.chargeId, payment.amountCents, payment.amountCents);
  }
  if (payment.status !== 'CANCELLED' || payment.chargeStartedAt === null) return { kind: 'nothing-to-ask' };
  let charge = await provider.findCharge(orderId);
  if (!charge && chargeOutstandingForMs > 0) {
    await sleep(chargeOutstandingForMs);
    charge = await provider.findCharge(orderId);
  }
  if (charge) return refundAtProvider(provider, charge.chargeId, charge.amountCents, charge.amountCents - charge.refundedCents);
  return { kind: 'nothing-charged' };
}

/** In the message's transaction: records what the provider did and returns the cents refunded. */
export async function recordRefund(tx: Queryable, orderId: string, call: RefundCall): Promise<number> {
  switch (call.kind) {
    case 'refunded':
      return (await paymentRepository.recordRefunded(tx, orderId, call)).refund?.refundedCents ?? call.amountCents;
    case 'nothing-charged':
      await paymentRepository.recordNothingCharged(tx, orderId);
      return 0;
    case 'nothing-to-ask': {
      const payment = await paymentRepository.find(tx, orderId);
      return payment?.status === 'REFUNDED' ? (payment.refund?.refundedCents ?? 0) : 0;
    }
  }
}

/**
 * One full refund per charge, keyed by the charge. "Already refunded" means an earlier attempt of
 * ours refunded it and its answer was lost, so it counts as done.
 */
async function refundAtProvider(
  provider: PaymentProvider,
  chargeId: string,
  amountCents: number,
  unrefundedCents: number,
): Promise<RefundCall> {
  if (unrefundedCents <= 0) return { kind: 'refunded', chargeId, amountCents, refundId: null };
  const result = await provider.refund({ idempotencyKey: `refund-${chargeId}`, chargeId, amountCents: unrefundedCents });
  if (result.status === 'succeeded') return { kind: 'refunded', chargeId, amountCents, refundId: result.refundId };
  if (result.code === 'charge_already_refunded') return { kind: 'refunded', chargeId, amountCents, refundId: null };
  throw new RefundRefusedError(chargeId, result.code, result.message);
}
