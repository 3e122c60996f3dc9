import { baseServiceSchema, delayMs, milliseconds, ratio, type z } from '@shop/config';

export const paymentConfigSchema = baseServiceSchema('payment', 3002).extend({
  /** How long a provider call may take before it counts as a (transient) timeout. */
  PAYMENT_PROVIDER_TIMEOUT_MS: milliseconds(3_000),
  /** Demo switch: the share of otherwise good charges the simulated provider declines. */
  PAYMENT_DECLINE_RATE: ratio(0),
  PAYMENT_FAILURE_RATE: ratio(0),
  PAYMENT_ADDED_LATENCY_MS: delayMs(0),
});

export type PaymentConfig = z.infer<typeof paymentConfigSchema>;
