import { createPool } from '@shop/db';
import { startService } from '@shop/runtime';
import type { PaymentConfig } from './config';
import { paymentMigrations } from './data-access/migrations';
import { createPaymentProviderAdapter } from './data-access/payment-provider-adapter';
import { createSimulatedPaymentProvider } from './data-access/simulated-payment-provider';
import { paymentRoutes } from './entry-points/http/payment-routes';
import { paymentCommandHandlers } from './entry-points/messaging/payment-command-handlers';

/** Payment charges orders through a card provider (simulated here) and refunds them as compensation. */
export function startPaymentService(config: PaymentConfig) {
  return startService({
    name: 'payment',
    config,
    migrations: paymentMigrations,
    setup: ({ pool }) => {
      // The simulated provider stands for a remote system, so it gets connections of its own:
      // sharing the service's pool, handlers holding every connection in their transactions would
      // wait on the provider, and the provider on them, until each call timed out.
      const providerPool = createPool(config.DATABASE_URL, { max: 5, applicationName: 'payment-provider-simulator' });
      const provider = createPaymentProviderAdapter(createSimulatedPaymentProvider(providerPool, { declineRate: config.PAYMENT_DECLINE_RATE }), {
        timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
      });
      return {
        consumers: [
          {
            queue: 'payment.commands',
            // Each charge waits for the provider, a remote call; payments of different orders
            // never touch the same rows, so batches can wait side by side.
            concurrency: 4,
            handlers: paymentCommandHandlers(provider, { failureRate: config.PAYMENT_FAILURE_RATE, addedLatencyMs: config.PAYMENT_ADDED_LATENCY_MS }),
          },
        ],
        routes: paymentRoutes(pool),
        // Stopped after the consumers drained, so no charge is cut off mid-call.
        background: [{ start: () => undefined, stop: () => providerPool.end() }],
      };
    },
  });
}
