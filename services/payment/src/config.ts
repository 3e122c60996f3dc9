import { serviceNamed } from '@shop/catalog';
import { baseServiceSchema, delayMs, milliseconds, openRatio, ratio, url, z } from '@shop/config';

export const paymentConfigSchema = baseServiceSchema(serviceNamed('payment')).extend({
  /**
   * Messages in hand at once. A charge is in hand from its arrival until its answer is recorded,
   * a provider call included, so this bounds the calls in flight: 100 at 250 ms each would cap the
   * service near 400 charges/s.
   */
  RABBITMQ_PREFETCH: z.coerce.number().int().min(1).max(65535).default(300),
  /** The card provider's API (tools/payment-provider, or a real one's). */
  PAYMENT_PROVIDER_URL: url(['http', 'https']),
  /**
   * How long one provider request may take before it counts as a (transient) timeout. With the
   * attempts and backoff, the longest call (3 x 2 s + 2 x 1 s = 8 s) stays under the saga's step
   * deadline (10 s): a charge still being tried is not taken for a silent participant.
   */
  PAYMENT_PROVIDER_TIMEOUT_MS: milliseconds(2_000),
  /** Requests per call, the first included: timeouts and 5xx are tried again, declines never. */
  PAYMENT_PROVIDER_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  PAYMENT_PROVIDER_BACKOFF_MS: milliseconds(100),
  /** Keep-alive connections to the provider: calls beyond them wait for one (their wait counts toward the timeout). */
  PAYMENT_PROVIDER_CONNECTIONS: z.coerce.number().int().min(1).max(1_000).default(128),
  /** The breaker opens when this share of calls fails within the window, at PAYMENT_PROVIDER_BREAKER_MIN_RPS calls a second or more. */
  PAYMENT_PROVIDER_BREAKER_FAILURE_RATIO: openRatio(0.5),
  PAYMENT_PROVIDER_BREAKER_WINDOW_MS: milliseconds(10_000),
  PAYMENT_PROVIDER_BREAKER_MIN_RPS: z.coerce.number().min(0).default(2),
  /** How long the breaker stays open before a probe tests the provider again. */
  PAYMENT_PROVIDER_BREAKER_HALF_OPEN_AFTER_MS: milliseconds(5_000),
  PAYMENT_FAILURE_RATE: ratio(0),
  PAYMENT_ADDED_LATENCY_MS: delayMs(0),
});

export type PaymentConfig = z.infer<typeof paymentConfigSchema>;
