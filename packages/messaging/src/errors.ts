/**
 * A failure that will fail the same way on every attempt (bad input, broken invariant). The
 * consumer parks the message in its dead-letter queue at once instead of retrying it.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}
