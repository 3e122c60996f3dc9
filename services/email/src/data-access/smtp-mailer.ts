import { createTransport } from 'nodemailer';
import { injectFaults, type FaultSettings } from '@shop/runtime';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** Fixed per order, so a resent email is recognisable as the same message. */
  messageId: string;
}

/** What the domain needs from a mail server: hand over one email, or throw. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/**
 * Sends over SMTP (smtp:// or smtps:// URL, credentials in it) through a small pool of connections:
 * a connection per email (TCP, greeting, EHLO, QUIT) cost more than the email itself at a few
 * hundred orders a second. A pooled connection the server dropped fails its send, which is
 * retried like any other failed send, and the pool opens a fresh one.
 */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: 4,
    // Renewed now and then, so a connection never lives long enough to go stale unnoticed.
    maxMessages: 500,
    // Sends run inside the inbox transaction: a mail server that hangs must fail the attempt
    // (retried later) well within the shutdown timeout, not hold a database connection for minutes.
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 15_000,
  });
  return {
    async send({ to, subject, text, messageId }) {
      await transport.sendMail({ from, to, subject, text, messageId });
    },
    close: () => transport.close(),
  };
}

/** A mailer whose sends fail or lag as configured (EMAIL_FAILURE_RATE, EMAIL_ADDED_LATENCY_MS), to rehearse a flaky mail server. */
export function withInjectedFaults(mailer: Mailer, faults: FaultSettings): Mailer {
  if (faults.failureRate === 0 && faults.addedLatencyMs === 0) return mailer;
  return {
    async send(email) {
      await injectFaults(faults, 'email');
      await mailer.send(email);
    },
    close: () => mailer.close(),
  };
}
