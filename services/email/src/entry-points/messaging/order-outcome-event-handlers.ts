import { order } from '@shop/contracts';
import { transactionMemory, type PoolClient } from '@shop/db';
import { on, type Envelope, type HandlerContext, type MessageHandler } from '@shop/messaging';
import { getMeter } from '@shop/telemetry';
import { isTransientSmtpFailure } from '../../data-access/smtp-failures';
import type { Mailer } from '../../data-access/smtp-mailer';
import { sendOrderOutcomeEmails, type OrderOutcome, type SendOutcome } from '../../domain/send-order-outcome-email-use-case';

const meter = getMeter('@shop/email-service');
const emailsSent = meter.createCounter('shop.emails.sent', { unit: '{email}', description: 'Emails the SMTP server accepted.' });
const emailsFailed = meter.createCounter('shop.emails.failed', {
  unit: '{email}',
  description: 'Emails the SMTP server did not accept, by whether the failure is worth another attempt (transient) or not (permanent).',
});

/** Counts what the SMTP server said, at once: an accepted email is sent whatever becomes of the transaction. */
function countSends(outcomes: readonly OrderOutcome[], results: readonly SendOutcome[]): void {
  // Two events about one order in a batch share its one email, and both report a failed send.
  const counted = new Set<string>();
  for (const [index, result] of results.entries()) {
    const { orderId, kind } = outcomes[index]!;
    if (counted.has(orderId)) continue;
    if (result.status === 'sent') emailsSent.add(1, { 'shop.email.kind': kind });
    else if (result.status === 'failed') {
      emailsFailed.add(1, { 'error.type': isTransientSmtpFailure(result.error) ? 'transient' : 'permanent' });
    }
    counted.add(orderId);
  }
}

/** The prepare step gets the batch's messages of both types, each already checked against its contract. */
const outcomeOf = (message: Envelope): OrderOutcome =>
  ({ kind: message.type === order.OrderConfirmed.type ? 'confirmation' : 'cancellation', ...(message.data as object) }) as OrderOutcome;

/** What the batch's sends did, by message id, for the handlers that run after them in the transaction. */
const sendResults = (tx: PoolClient) => {
  const results = transactionMemory<SendOutcome>(tx, 'email:send-results');
  if (!results) throw new Error('order outcome events must be handled in a transaction run by withTransaction');
  return results;
};

/**
 * What happens when order.confirmed or order.cancelled arrives: the customer is emailed, once per
 * order. A batch's emails are claimed, sent and recorded together before its handlers run; each
 * handler then reports its own message's result. A failed send fails only its own message
 * (`failAlone`): the batch commits, and the others are not sent again.
 */
export function orderOutcomeEventHandlers(mailer: Mailer): MessageHandler[] {
  for (const kind of ['confirmation', 'cancellation'] satisfies OrderOutcome['kind'][]) emailsSent.add(0, { 'shop.email.kind': kind });
  for (const type of ['transient', 'permanent']) emailsFailed.add(0, { 'error.type': type });
  const emailTheBatch = async (tx: PoolClient, messages: readonly Envelope[]) => {
    const batch = messages.map(outcomeOf);
    const outcomes = await sendOrderOutcomeEmails(tx, mailer, batch);
    countSends(batch, outcomes);
    const results = sendResults(tx);
    for (const [index, message] of messages.entries()) results.set(message.id, outcomes[index]!);
  };
  const report = ({ message, tx, logger, failAlone }: HandlerContext<{ orderId: string }>, kind: OrderOutcome['kind']) => {
    const { orderId } = message.data;
    const result = sendResults(tx).get(message.id);
    if (!result) throw new Error(`no send result for message ${message.id}`);
    switch (result.status) {
      case 'sent':
        logger.info({ orderId, kind, emailMessageId: result.email.messageId }, 'email sent');
        break;
      case 'failed':
        failAlone(result.error);
        break;
      case 'already-sent':
        if (result.earlier.kind !== kind) {
          // Both outcomes for one order means the saga contradicted itself; the customer keeps the first.
          logger.warn(
            { orderId, kind, alreadySent: result.earlier.kind },
            'order already emailed with another outcome; not emailing again',
          );
        } else {
          logger.debug({ orderId, kind }, 'order already emailed');
        }
    }
    return Promise.resolve();
  };
  return [
    on(order.OrderConfirmed, (context) => report(context, 'confirmation'), { prepare: emailTheBatch }),
    on(order.OrderCancelled, (context) => report(context, 'cancellation'), { prepare: emailTheBatch }),
  ];
}
