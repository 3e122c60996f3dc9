import { DependencyTimeoutError, DependencyUnavailableError } from '@shop/resilience';

/**
 * nodemailer's codes for failures of the server or of the connection to it, as opposed to a
 * refusal of one email (EENVELOPE: a recipient; EMESSAGE: the message).
 */
const CONNECTION_FAILURES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROXY', 'EAUTH', 'ETLS', 'EPROTOCOL']);

const codeOf = (error: unknown): string => String((error as { code?: unknown } | undefined)?.code);

/** The server's reply code when the failure is its answer (451, 550), else undefined. */
const replyCodeOf = (error: unknown): number | undefined => {
  const code = (error as { responseCode?: unknown } | undefined)?.responseCode;
  return typeof code === 'number' ? code : undefined;
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** An email of a batch that was not tried, because the server had failed another one. */
export class MailServerFailing extends Error {
  constructor(cause: unknown) {
    super(`not tried: the mail server failed another email of the batch (${describe(cause)})`, { cause });
    this.name = 'MailServerFailing';
  }
}

/**
 * An attempt failed after the server may have received the whole email: it is not sent again
 * within the call (not transient, so the policy stops there).
 */
export class SmtpOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(`not sent again: the mail server may have accepted the email before its attempt failed (${describe(cause)})`, { cause });
    this.name = 'SmtpOutcomeUnknownError';
  }
}

/**
 * Worth another attempt, and counted by the breaker: the server or the connection to it failed,
 * or the server answered 4xx (try again later). A 5xx refusal of a recipient or of the message
 * is an answer about this email, and would be the same next time.
 */
export function isTransientSmtpFailure(error: unknown): boolean {
  if (error instanceof DependencyTimeoutError) return true;
  const reply = replyCodeOf(error);
  if (reply !== undefined && reply >= 400 && reply < 500) return true;
  return CONNECTION_FAILURES.has(codeOf(error));
}

/**
 * The server itself is failing (no connection, a timeout, 421 closing, the circuit open), not one
 * email: the next email would fail the same way.
 */
export function isServerFailure(error: unknown): boolean {
  if (error instanceof DependencyUnavailableError || error instanceof DependencyTimeoutError || error instanceof SmtpOutcomeUnknownError)
    return true;
  return replyCodeOf(error) === 421 || CONNECTION_FAILURES.has(codeOf(error));
}

/**
 * Whether the server may have accepted an email whose attempt failed. A reply (4xx, 5xx) is a
 * refusal; without one (a broken connection, a timeout) it may have, once its connection had
 * begun to read the message: before that (connecting, greeting, envelope) it had nothing to accept.
 */
export function mayHaveBeenAccepted(error: unknown, messageRead: boolean): boolean {
  const reply = replyCodeOf(error);
  return (reply === undefined || reply < 400) && messageRead;
}
