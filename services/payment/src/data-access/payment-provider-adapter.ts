import { ProviderTimeoutError, type PaymentProvider } from '../domain/payment-provider';

/**
 * The client side of the provider: every call races a deadline, as an HTTP client's request
 * timeout would, and losing the race is a ProviderTimeoutError (transient, so retried).
 */
export function createPaymentProviderAdapter(provider: PaymentProvider, { timeoutMs }: { timeoutMs: number }): PaymentProvider {
  const withDeadline = async <T>(operation: string, call: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new ProviderTimeoutError(operation, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([call, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    charge: (request) => withDeadline('charge', provider.charge(request)),
    refund: (request) => withDeadline('refund', provider.refund(request)),
    findCharge: (idempotencyKey) => withDeadline('findCharge', provider.findCharge(idempotencyKey)),
  };
}
