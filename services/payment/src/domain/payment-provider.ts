/**
 * What the payment service needs from a card payment provider, in the shapes a real one answers
 * with: a decline is an answer, not an error; no answer in time is an error (ProviderTimeoutError).
 */
export interface PaymentProvider {
  /** Charges once per idempotency key: asking again with the same key returns the first result. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** The successful charge made under an idempotency key, if any (a charge whose local record was lost). */
  findCharge(idempotencyKey: string): Promise<ProviderCharge | undefined>;
}

export interface ChargeRequest {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
}

export type DeclineCode = 'card_declined' | 'insufficient_funds' | 'invalid_payment_method';

export type ChargeResult = { status: 'succeeded'; chargeId: string } | { status: 'declined'; code: DeclineCode; message: string };

export interface RefundRequest {
  chargeId: string;
  amountCents: number;
}

export type RefundResult =
  | { status: 'succeeded'; refundId: string }
  | { status: 'failed'; code: 'charge_already_refunded' | 'no_such_charge' | 'amount_too_large'; message: string };

export interface ProviderCharge {
  chargeId: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  refundedCents: number;
}

/**
 * The provider did not answer in time. Deliberately not a PermanentError: the charge may or may
 * not have happened, and retrying with the same idempotency key is what finds out.
 */
export class ProviderTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`payment provider did not answer ${operation} within ${timeoutMs} ms`);
    this.name = 'ProviderTimeoutError';
  }
}
