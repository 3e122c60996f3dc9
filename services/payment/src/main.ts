import { queueOf } from '@shop/catalog';
import { GroupCommit, withTransaction } from '@shop/db';
import { defineService, runWhenEntryPoint } from '@shop/runtime';
import { paymentConfigSchema } from './config';
import { paymentMigrations } from './data-access/migrations';
import { createProviderHttpClient } from './data-access/provider-http-client';
import { paymentRoutes } from './entry-points/http/payment-routes';
import { paymentCommandHandlers } from './entry-points/messaging/payment-command-handlers';

/** Payment charges orders through a card provider, a remote HTTP API, and refunds them as compensation. */
export const service = defineService({
  name: 'payment',
  configSchema: paymentConfigSchema,
  migrations: paymentMigrations,
  faults: (config) => ({ failureRate: config.PAYMENT_FAILURE_RATE, addedLatencyMs: config.PAYMENT_ADDED_LATENCY_MS }),
  setup: ({ config, pool, logger }) => {
    const provider = createProviderHttpClient({
      url: config.PAYMENT_PROVIDER_URL,
      logger,
      timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
      attempts: config.PAYMENT_PROVIDER_ATTEMPTS,
      backoffMs: config.PAYMENT_PROVIDER_BACKOFF_MS,
      connections: config.PAYMENT_PROVIDER_CONNECTIONS,
      breaker: {
        failureRatio: config.PAYMENT_PROVIDER_BREAKER_FAILURE_RATIO,
        windowMs: config.PAYMENT_PROVIDER_BREAKER_WINDOW_MS,
        minimumRps: config.PAYMENT_PROVIDER_BREAKER_MIN_RPS,
        halfOpenAfterMs: config.PAYMENT_PROVIDER_BREAKER_HALF_OPEN_AFTER_MS,
      },
    });
    // The intents of charges asked for at the same moment share a commit (decision 0010's group commit).
    const intents = new GroupCommit((work) => withTransaction(pool, work), { maxSize: 50, concurrency: 2 });
    return {
      consumers: [
        {
          queue: queueOf('payment'),
          // The provider calls run outside the transactions, side by side; a transaction only
          // records answers, so two are enough.
          concurrency: 2,
          // While the provider's circuit is open the commands wait in their queue.
          pauseWhen: provider.policy,
          handlers: paymentCommandHandlers({
            provider,
            transaction: (work) => intents.run(work),
            // A second more than the longest call, for the time between the intent's commit and the request.
            chargeCallWindowMs: provider.policy.maxCallDurationMs + 1_000,
          }),
        },
      ],
      routes: paymentRoutes(pool, config.OPERATOR_TOKEN),
      // Stopped after the consumers drained, so no call is cut off.
      background: [{ start: () => undefined, stop: () => provider.close() }],
    };
  },
});

runWhenEntryPoint(module, service);
