import { startService } from '@shop/runtime';
import type { EmailConfig } from './config';
import { emailMigrations } from './data-access/migrations';
import { createSmtpMailer } from './data-access/smtp-mailer';
import { emailRoutes } from './entry-points/http/email-routes';
import { orderOutcomeEventHandlers } from './entry-points/messaging/order-outcome-event-handlers';

/** Email tells the customer how their order ended, by SMTP, once per order. It sends no commands. */
export async function startEmailService(config: EmailConfig) {
  const mailer = createSmtpMailer(config.SMTP_URL, config.EMAIL_FROM);
  const service = await startService({
    name: 'email',
    config,
    migrations: emailMigrations,
    setup: ({ pool }) => ({
      consumers: [
        {
          queue: 'email.on-order-outcome',
          // Sending is outside the transaction: a failed batch would be handled again message by
          // message and send its emails twice. One email per transaction, several at once instead.
          batchSize: 1,
          concurrency: 8,
          handlers: orderOutcomeEventHandlers(mailer, { failureRate: config.EMAIL_FAILURE_RATE, addedLatencyMs: config.EMAIL_ADDED_LATENCY_MS }),
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
