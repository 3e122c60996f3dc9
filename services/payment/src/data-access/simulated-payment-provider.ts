import { randomBytes } from 'node:crypto';
import type { Queryable } from '@shop/db';
import type { ChargeResult, DeclineCode, PaymentProvider, RefundResult } from '../domain/payment-provider';
import { providerLedgerRepository } from './provider-ledger-repository';

type Behaviour = 'succeed' | 'never-answer' | DeclineCode;

/** Test payment methods, like a real provider's test cards; any other token is invalid. */
const testPaymentMethods: Record<string, Behaviour> = {
  tok_visa: 'succeed',
  tok_mastercard: 'succeed',
  tok_chargeDeclined: 'card_declined',
  tok_insufficientFunds: 'insufficient_funds',
  tok_timeout: 'never-answer',
};

const declineMessages: Record<DeclineCode, string> = {
  card_declined: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  invalid_payment_method: 'No such payment method.',
};

export interface SimulatedProviderOptions {
  /** Share of otherwise good charges declined (PAYMENT_DECLINE_RATE). */
  declineRate?: number;
  random?: () => number;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/**
 * The remote provider, simulated in-process. It keeps its own ledger through its own connection
 * (never the caller's transaction), so what it charged stays charged when the caller rolls back,
 * and a retry with the same idempotency key gets the booked result back, even after a restart.
 */
export function createSimulatedPaymentProvider(db: Queryable, { declineRate = 0, random = Math.random }: SimulatedProviderOptions = {}): PaymentProvider {
  return {
    async charge({ idempotencyKey, amountCents, currency, paymentMethod }): Promise<ChargeResult> {
      const behaviour = testPaymentMethods[paymentMethod] ?? 'invalid_payment_method';
      // A provider that hangs: only the adapter's deadline ends the wait.
      if (behaviour === 'never-answer') return new Promise<never>(() => undefined);
      const code = behaviour === 'succeed' && declineRate > 0 && random() < declineRate ? 'card_declined' : behaviour;
      const entry = await providerLedgerRepository.bookOnce(db, {
        idempotencyKey,
        chargeId: newId('ch'),
        status: code === 'succeed' ? 'succeeded' : 'declined',
        declineCode: code === 'succeed' ? null : code,
        declineMessage: code === 'succeed' ? null : declineMessages[code],
        amountCents,
        currency,
        paymentMethod,
      });
      return entry.status === 'succeeded'
        ? { status: 'succeeded', chargeId: entry.chargeId }
        : { status: 'declined', code: entry.declineCode ?? 'card_declined', message: entry.declineMessage ?? '' };
    },

    async refund({ chargeId, amountCents }): Promise<RefundResult> {
      const refundId = newId('re');
      if (await providerLedgerRepository.addRefund(db, chargeId, amountCents, refundId)) return { status: 'succeeded', refundId };
      const charge = await providerLedgerRepository.findByChargeId(db, chargeId);
      if (!charge || charge.status !== 'succeeded') return { status: 'failed', code: 'no_such_charge', message: `No such charge: ${chargeId}` };
      if (charge.refundedCents >= charge.amountCents) {
        return { status: 'failed', code: 'charge_already_refunded', message: `Charge ${chargeId} has already been refunded.` };
      }
      return { status: 'failed', code: 'amount_too_large', message: `Refund amount is greater than the unrefunded amount on ${chargeId}.` };
    },

    async findCharge(idempotencyKey) {
      const entry = await providerLedgerRepository.findByKey(db, idempotencyKey);
      if (entry?.status !== 'succeeded') return undefined;
      const { chargeId, amountCents, currency, paymentMethod, refundedCents } = entry;
      return { chargeId, amountCents, currency, paymentMethod, refundedCents };
    },
  };
}
