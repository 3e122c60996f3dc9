/**
 * A short reason for a failed connection: the system error code and message when there is one.
 * Connecting to `localhost` tries ::1 and 127.0.0.1 and fails with an AggregateError whose own
 * message is empty, so the first underlying error speaks for it.
 */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    // fetch() reports every network failure as "fetch failed" with the real reason as its cause.
    if (error.message === 'fetch failed' && cause !== undefined) return describeError(cause);
    const code = (error as { code?: unknown }).code;
    if (error.message) return error.message;
    if (typeof code === 'string') return code;
    return error.name;
  }
  return String(error);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);

/** True when nothing answered at all (as opposed to a server that answered and refused). */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isUnreachable);
  if (error instanceof DeadlineError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  // amqplib reports a handshake that never finished as a bare "connect ETIMEDOUT" message.
  const message = error instanceof Error ? error.message : '';
  return /timeout|timed out/i.test(message) || [...UNREACHABLE].some((known) => message.includes(known));
}

/** Nothing came back in time. */
export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}
