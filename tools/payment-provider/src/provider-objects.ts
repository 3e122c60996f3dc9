/**
 * The objects the provider answers with, shaped like Stripe's: amounts in integer cents, times in
 * unix seconds, snake_case fields. Callers in other packages import these types.
 */
export type DeclineCode = 'card_declined' | 'insufficient_funds' | 'invalid_payment_method';

export interface Charge {
  id: string;
  object: 'charge';
  /** 'failed' is a declined charge: booked, never refundable. */
  status: 'succeeded' | 'failed';
  amount: number;
  /** Lower case, as Stripe writes it. */
  currency: string;
  payment_method: string;
  amount_refunded: number;
  /** True once amount_refunded reaches amount. */
  refunded: boolean;
  idempotency_key: string;
  created: number;
  failure_code: DeclineCode | null;
  failure_message: string | null;
}

export interface Refund {
  id: string;
  object: 'refund';
  status: 'succeeded';
  charge: string;
  amount: number;
  idempotency_key: string;
  created: number;
}

export interface ChargeList {
  object: 'list';
  data: Charge[];
  has_more: boolean;
}

export type ProviderErrorType = 'card_error' | 'invalid_request_error' | 'idempotency_error' | 'api_error';

export interface ProviderErrorBody {
  error: {
    type: ProviderErrorType;
    message: string;
    code?: string;
    param?: string;
    /** The declined charge, on a card_error. */
    charge?: string;
  };
}
