import { isServerFailure, MailServerFailing } from './smtp-failures';
import { MAX_CONNECTIONS, type Mailer, type OutgoingEmail } from './smtp-mailer';

/**
 * Sends a batch's emails side by side, as many at once as there are connections, and returns each
 * one's error (undefined when it was sent), in order. Each send makes its own attempts (the
 * mailer's policy); once one has failed because of the server itself, after its attempts or at
 * once with the circuit open, the emails not yet started are not tried: with a server that hangs,
 * each would wait for its own timeouts, and the batch's transaction with them.
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
        if (isServerFailure(error)) serverFailure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONNECTIONS, emails.length) }, worker));
  return errors;
}
