import { createTransport } from 'nodemailer';

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
 * Sends over SMTP (smtp:// or smtps:// URL, credentials in it), one connection per email: nothing
 * stays open to go stale while the mail server restarts, and a shop's email volume needs no pool.
 */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = createTransport({
    url: smtpUrl,
    // The send runs inside the inbox transaction: a mail server that hangs must fail the attempt
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
