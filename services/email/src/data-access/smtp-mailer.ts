import type { Readable } from 'node:stream';
import { createTransport } from 'nodemailer';
import type { Logger } from '@shop/logger';
import { DependencyPolicy, DependencyTimeoutError, type BreakerSettings } from '@shop/resilience';
import { injectFaults, type FaultSettings } from '@shop/messaging';
import { isTransientSmtpFailure, mayHaveBeenAccepted, SmtpOutcomeUnknownError } from './smtp-failures';

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
export const MAX_CONNECTIONS = 4;

export interface SmtpMailerOptions {
  /** smtp:// or smtps://, credentials in it. */
  url: string;
  from: string;
  logger: Logger;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  breaker: BreakerSettings;
}

/** One attempt at an email: the message streams its connections began to read, and how it failed. */
interface Attempt {
  messages: Readable[];
  error?: unknown;
}

/**
 * Sends over SMTP through nodemailer's pool of connections: a connection per email (TCP,
 * greeting, EHLO, QUIT) cost more than the email itself at a few hundred orders a second. Each
 * email is one call of the `smtp` DependencyPolicy: a timeout per attempt that aborts it (the pool
 * drops it from its queue, or closes the connection sending it), another attempt after a
 * transient failure unless the server may already have the email, and a circuit breaker whose
 * probe opens a connection of its own (EHLO, QUIT) and sends nothing.
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer & { policy: DependencyPolicy } {
  const { timeoutMs } = options;
  const transport = createTransport({
    url: options.url,
    pool: true,
    maxConnections: MAX_CONNECTIONS,
    // Renewed now and then, so a connection never lives long enough to go stale unnoticed.
    maxMessages: 500,
    // A send is bounded by its attempt's signal; these bound the probe, and idle pooled connections.
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: Math.max(timeoutMs, 15_000),
  });

  // The pool reads an email's message stream only once the server has taken the envelope (354 to
  // DATA), so a stream nobody read means the server cannot have the email: the plugin hands each
  // attempt the streams made for it (more than one if the pool moved it to another connection).
  const attempts = new WeakMap<AbortSignal, Attempt>();
  transport.use('stream', (mail, done) => {
    const attempt = mail.data.signal && attempts.get(mail.data.signal);
    if (attempt) {
      mail.message.processFunc((message) => {
        attempt.messages.push(message);
        return message;
      });
    }
    done();
  });

  const policy = new DependencyPolicy({
    name: 'smtp',
    logger: options.logger,
    timeoutMs,
    attempts: options.attempts,
    backoffMs: options.backoffMs,
    maxBackoffMs: Math.max(options.backoffMs, 1_000),
    breaker: options.breaker,
    isTransient: isTransientSmtpFailure,
    probe: () => transport.verify(),
  });

  return {
    policy,
    async send({ to, subject, text, messageId }) {
      let previous: Attempt | undefined;
      await policy.call(async ({ signal }) => {
        if (
          previous &&
          mayHaveBeenAccepted(
            previous.error,
            previous.messages.some((message) => message.readableDidRead),
          )
        ) {
          // Still pending (no error yet) means the policy gave up on it: it timed out.
          throw new SmtpOutcomeUnknownError(previous.error ?? new DependencyTimeoutError('smtp', timeoutMs));
        }
        const attempt: Attempt = (previous = { messages: [] });
        // A signal of this attempt's own: the key under which the plugin finds the attempt.
        const attemptSignal = AbortSignal.any([signal]);
        attempts.set(attemptSignal, attempt);
        try {
          await transport.sendMail({ from: options.from, to, subject, text, messageId, signal: attemptSignal });
        } catch (error) {
          // Aborted by the attempt's timeout: nodemailer's AbortError says less than that.
          attempt.error = signal.aborted ? new DependencyTimeoutError('smtp', timeoutMs) : error;
          throw attempt.error;
        }
      });
    },
    close() {
      policy.stop();
      transport.close();
    },
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
