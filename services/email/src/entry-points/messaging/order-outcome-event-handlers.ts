import { order } from '@shop/contracts';
import { on, type HandlerContext, type MessageHandler } from '@shop/messaging';
import { injectFaults, type FaultSettings } from '@shop/runtime';
import type { Mailer } from '../../data-access/smtp-mailer';
import { sendOrderOutcomeEmail, type OrderOutcome } from '../../domain/send-order-outcome-email-use-case';

/** What happens when order.confirmed or order.cancelled arrives: the customer is emailed, once per order. */
export function orderOutcomeEventHandlers(mailer: Mailer, faults: FaultSettings): MessageHandler[] {
  const sendEmailOnOrderOutcome = async ({ tx, logger }: HandlerContext<unknown>, outcome: OrderOutcome) => {
    await injectFaults(faults, 'email');
    const result = await sendOrderOutcomeEmail(tx, mailer, outcome);
    const { orderId, kind } = outcome;
    if (result.sent) {
      logger.info({ orderId, kind, emailMessageId: result.email.messageId }, 'email sent');
    } else if (result.earlier.kind !== kind) {
      // Both outcomes for one order means the saga contradicted itself; the customer keeps the first.
      logger.warn({ orderId, kind, alreadySent: result.earlier.kind }, 'order already emailed with another outcome; not emailing again');
    } else {
      logger.debug({ orderId, kind }, 'order already emailed');
    }
  };
  return [
    on(order.OrderConfirmed, (context) => sendEmailOnOrderOutcome(context, { kind: 'confirmation', ...context.message.data })),
    on(order.OrderCancelled, (context) => sendEmailOnOrderOutcome(context, { kind: 'cancellation', ...context.message.data })),
  ];
}
