import type { Queryable } from '@shop/db';
import { emailRepository, type SentEmail } from '../data-access/email-repository';
import { sendBatch } from '../data-access/email-batch-sender';
import type { Mailer, OutgoingEmail } from '../data-access/smtp-mailer';
import { renderOrderOutcomeEmail, type OrderOutcome } from './order-outcome-email-template';

export type { OrderOutcome } from './order-outcome-email-template';

/** What became of one outcome: its email went out, the order had one already, or sending failed (nothing recorded). */
export type SendOutcome =
  { status: 'sent'; email: SentEmail } | { status: 'already-sent'; earlier: SentEmail } | { status: 'failed'; error: unknown };

/** The same id for every email about one order, so a resent copy is recognisable as one. */
export const orderEmailMessageId = (orderId: string) => `<order-${orderId}@shop.example>`;

/**
 * Tells each customer how their order ended, once per order: a repeated event, or a second event
 * for an order already told about, sends nothing. Takes a batch of outcomes (in the order their
 * events arrived) and returns what became of each, in the same order. Runs in the inbox
 * transaction (`tx`), which must commit even when some sends failed: see `release` below.
 */
export async function sendOrderOutcomeEmails(tx: Queryable, mailer: Mailer, outcomes: readonly OrderOutcome[]): Promise<SendOutcome[]> {
  // The first event about an order in the batch is the one that may be emailed.
  const drafts = new Map<string, OutgoingEmail & { outcome: OrderOutcome }>();
  for (const outcome of outcomes) {
    if (drafts.has(outcome.orderId)) continue;
    drafts.set(outcome.orderId, {
      outcome,
      to: outcome.email,
      messageId: orderEmailMessageId(outcome.orderId),
      ...renderOrderOutcomeEmail(outcome),
    });
  }
  // The rows are claimed first: another transaction about the same orders waits on them until this
  // one ends, then finds them (or, if this one gave them back, claims them).
  const claimed = await emailRepository.claimMany(
    tx,
    [...drafts.values()].map(({ outcome, to, subject, messageId }) => ({
      orderId: outcome.orderId,
      kind: outcome.kind,
      recipient: to,
      subject,
      messageId,
    })),
  );
  const claimedByOrder = new Map(claimed.map((email) => [email.orderId, email]));
  const taken = [...drafts.keys()].filter((orderId) => !claimedByOrder.has(orderId));
  const earlier = new Map(taken.length === 0 ? [] : (await emailRepository.findMany(tx, taken)).map((email) => [email.orderId, email]));
  const missing = taken.find((orderId) => !earlier.has(orderId));
  if (missing) throw new Error(`email for order ${missing} neither claimed nor found`);

  // Send, then commit. SMTP cannot join our transaction, so one order must be chosen: committing
  // first would lose an email for good if its send then failed, while sending first can only
  // duplicate it, and only if the process dies (or the commit fails) between the server accepting
  // the mail and the commit. The rare duplicate carries the same Message-ID, so mail clients and
  // people can see it is the same email. The batch's emails go out side by side.
  const errors = await sendBatch(
    mailer,
    claimed.map(({ orderId }) => drafts.get(orderId)!),
  );
  const failures = new Map<string, unknown>();
  for (const [index, { orderId }] of claimed.entries()) if (errors[index] !== undefined) failures.set(orderId, errors[index]);
  // A failed send gives its claim back and the transaction still commits: rolling it back would
  // send the batch's other emails again when their events are retried.
  if (failures.size > 0) await emailRepository.release(tx, [...failures.keys()]);

  return outcomes.map((outcome): SendOutcome => {
    const { orderId } = outcome;
    if (failures.has(orderId)) return { status: 'failed', error: failures.get(orderId) };
    const email = claimedByOrder.get(orderId);
    if (email && drafts.get(orderId)!.outcome === outcome) return { status: 'sent', email };
    return { status: 'already-sent', earlier: email ?? earlier.get(orderId)! };
  });
}
