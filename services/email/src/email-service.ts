import { startService } from '@shop/runtime';
import type { EmailConfig } from './config';
import { emailMigrations } from './data-access/migrations';
import { createSmtpMailer, withInjectedFaults } from './data-access/smtp-mailer';
import { emailRoutes } from './entry-points/http/email-routes';
import { orderOutcomeEventHandlers } from './entry-points/messaging/order-outcome-event-handlers';

/** Email tells the customer how their order ended, by SMTP, once per order. It sends no commands. */
export async function startEmailService(config: EmailConfig) {
  const mailer = withInjectedFaults(createSmtpMailer(config.SMTP_URL, config.EMAIL_FROM), {
    failureRate: config.EMAIL_FAILURE_RATE,
    addedLatencyMs: config.EMAIL_ADDED_LATENCY_MS,
  });
  const service = await startService({
    name: 'email',
    config,
    migrations: emailMigrations,
    setup: ({ pool }) => ({
      consumers: [
        {
          queue: 'email.on-order-outcome',
          // A batch's emails go out side by side within its transaction; a second batch can claim
          // and commit meanwhile. A failed send fails only its own message (decision 0006).
          concurrency: 2,
          handlers: orderOutcomeEventHandlers(mailer),
        },
      ],
      routes: emailRoutes(pool),
    }),
  });
  // The mailer closes after the service has drained, so an email being sent can finish.
  const stop = async () => {
    await service.stop();
    mailer.close();
  };
  return { ...service, stop };
}
