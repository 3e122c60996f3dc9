import { queueOf } from '@shop/catalog';
import { defineService, runWhenEntryPoint } from '@shop/runtime';
import { emailConfigSchema } from './config';
import { emailMigrations } from './data-access/migrations';
import { createSmtpMailer, withInjectedFaults } from './data-access/smtp-mailer';
import { emailRoutes } from './entry-points/http/email-routes';
import { orderOutcomeEventHandlers } from './entry-points/messaging/order-outcome-event-handlers';

/** Email tells the customer how their order ended, by SMTP, once per order. It sends no commands. */
export const service = defineService({
  name: 'email',
  configSchema: emailConfigSchema,
  migrations: emailMigrations,
  setup: ({ config, pool, logger }) => {
    const smtp = createSmtpMailer({
      url: config.SMTP_URL,
      from: config.EMAIL_FROM,
      logger,
      timeoutMs: config.SMTP_TIMEOUT_MS,
      attempts: config.SMTP_ATTEMPTS,
      backoffMs: config.SMTP_BACKOFF_MS,
      breaker: {
        failureRatio: config.SMTP_BREAKER_FAILURE_RATIO,
        windowMs: config.SMTP_BREAKER_WINDOW_MS,
        minimumRps: config.SMTP_BREAKER_MIN_RPS,
        halfOpenAfterMs: config.SMTP_BREAKER_HALF_OPEN_AFTER_MS,
      },
    });
    // The email's demo switches are about the mail server: they fail and slow sends, not messages,
    // so the mailer applies them rather than the consumer (no `faults` for this service).
    const mailer = withInjectedFaults(smtp, { failureRate: config.EMAIL_FAILURE_RATE, addedLatencyMs: config.EMAIL_ADDED_LATENCY_MS });
    return {
      consumers: [
        {
          queue: queueOf('email'),
          // A batch's emails go out side by side within its transaction; a second batch can claim
          // and commit meanwhile. A failed send fails only its own message (decision 0006).
          concurrency: 2,
          // While the mail server's circuit is open the events wait in their queue.
          pauseWhen: smtp.policy,
          handlers: orderOutcomeEventHandlers(mailer),
        },
      ],
      routes: emailRoutes(pool, config.OPERATOR_TOKEN),
      // Closed after the consumers drained, so an email being sent can finish.
      background: [{ start: () => undefined, stop: () => Promise.resolve(smtp.close()) }],
    };
  },
});

runWhenEntryPoint(module, service);
