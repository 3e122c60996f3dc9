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

/** Connections to the mail server, and so emails on their way at once. */
const MAX_CONNECTIONS = 4;

/**
 * Failures of the server or of the connection to it (nodemailer's codes), as opposed to a refusal
 * of one email (EENVELOPE: a recipient; EMESSAGE: the message): the next email would fail too.
 */
const SERVER_FAILURES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROXY', 'EAUTH', 'ETLS', 'EPROTOCOL']);

/** An email of a batch that was not tried, because the server had failed another one. */
export class MailServerFailing extends Error {
  constructor(cause: unknown) {
    super(`not tried: the mail server failed another email of the batch (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'MailServerFailing';
  }
}

/**
 * Sends a batch's emails side by side, as many at once as there are connections, and returns each
 * one's error (undefined when it was sent), in order. Once the server itself fails, the emails not
 * yet started are not tried: with a server that hangs, each would wait for its own timeout, and
 * the batch's transaction with them.
 */
export async function sendBatch(mailer: Mailer, emails: readonly OutgoingEmail[]): Promise<Array<unknown | undefined>> {
  const errors: Array<unknown | undefined> = emails.map(() => undefined);
  let serverFailure: unknown;
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const index = next;
      next += 1;
      if (serverFailure !== undefined) {
        errors[index] = new MailServerFailing(serverFailure);
        continue;
      }
      try {
        await mailer.send(emails[index]!);
      } catch (error) {
        errors[index] = error;
        if (SERVER_FAILURES.has(String((error as { code?: unknown }).code))) serverFailure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONNECTIONS, emails.length) }, worker));
  return errors;
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
    maxConnections: MAX_CONNECTIONS,
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
