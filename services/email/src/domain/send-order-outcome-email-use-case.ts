import type { Queryable } from '@shop/db';
import { emailRepository, type SentEmail } from '../data-access/email-repository';
import type { Mailer } from '../data-access/smtp-mailer';
import { renderOrderOutcomeEmail, type OrderOutcome } from './order-outcome-email-template';

export type { OrderOutcome } from './order-outcome-email-template';

export type SendOutcome = { sent: true; email: SentEmail } | { sent: false; earlier: SentEmail };

/** The same id for every email about one order, so a resent copy is recognisable as one. */
export const orderEmailMessageId = (orderId: string) => `<order-${orderId}@shop.example>`;

/**
 * Tells the customer how their order ended, once per order: a repeated event, or a second event
 * for an order already told about, sends nothing. Runs in the inbox transaction (`tx`).
 */
export async function sendOrderOutcomeEmail(tx: Queryable, mailer: Mailer, outcome: OrderOutcome): Promise<SendOutcome> {
  const { subject, text } = renderOrderOutcomeEmail(outcome);
  const messageId = orderEmailMessageId(outcome.orderId);
  // The row is claimed first: a second event for the same order handled at the same time waits
  // on it until this transaction ends, then finds it (or, if this one rolled back, claims it).
  const email = await emailRepository.claim(tx, { orderId: outcome.orderId, kind: outcome.kind, recipient: outcome.email, subject, messageId });
  if (!email) {
    const earlier = await emailRepository.find(tx, outcome.orderId);
    if (!earlier) throw new Error(`email for order ${outcome.orderId} neither claimed nor found`);
    return { sent: false, earlier };
  }
  // Send, then commit. SMTP cannot join our transaction, so one order must be chosen: committing
  // first would lose the email for good if the send then failed, while sending first can only
  // duplicate it, and only if the process dies (or the commit fails) between the server accepting
  // the mail and the commit. A failed send throws, rolls the claim back and is retried. The rare
  // duplicate carries the same Message-ID, so mail clients and people can see it is the same email.
  await mailer.send({ to: outcome.email, subject, text, messageId });
  return { sent: true, email };
}
