/**
 * What the payment service needs from a card payment provider, in the shapes a real one answers
 * with: a decline is an answer, not an error; no answer in time is an error (transient).
 */
export interface PaymentProvider {
  /** Charges once per idempotency key: asking again with the same key returns the first result. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Refunds once per idempotency key. */
  refund(request: RefundRequest): Promise<RefundResult>;
  /** The successful charge made under an idempotency key, if any: a charge whose answer was lost. */
  findCharge(idempotencyKey: string): Promise<ProviderCharge | undefined>;
}

export interface ChargeRequest {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
}

export type ChargeResult = { status: 'succeeded'; chargeId: string } | { status: 'declined'; code: string; message: string };

export interface RefundRequest {
  idempotencyKey: string;
  chargeId: string;
  amountCents: number;
}

export type RefundResult = { status: 'succeeded'; refundId: string } | { status: 'failed'; code: string; message: string };

export interface ProviderCharge {
  chargeId: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  refundedCents: number;
}

/** The provider refused the request itself (a 4xx other than a decline): asking again changes nothing. */
export class ProviderRejectedRequestError extends Error {
  constructor(operation: string, status: number, detail: string) {
    super(`payment provider refused ${operation} (${status}): ${detail}`);
    this.name = 'ProviderRejectedRequestError';
  }
}

/** The provider failed to answer (5xx, 429, a broken connection): transient. */
export class ProviderUnavailableError extends Error {
  constructor(operation: string, detail: string) {
    super(`payment provider failed ${operation}: ${detail}`);
    this.name = 'ProviderUnavailableError';
  }
}
