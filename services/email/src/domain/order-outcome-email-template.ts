import type { order, PayloadOf } from '@shop/contracts';

/** How an order's saga ended, as the customer is told about it. */
export type OrderOutcome =
  ({ kind: 'confirmation' } & PayloadOf<typeof order.OrderConfirmed>) | ({ kind: 'cancellation' } & PayloadOf<typeof order.OrderCancelled>);

export interface RenderedEmail {
  subject: string;
  text: string;
}

/** `EUR 37.80`. Integer arithmetic, as cents are; every currency the shop sells in has two decimals. */
export function formatMoney(cents: number, currency: string): string {
  return `${currency} ${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** Plain text only: a single-part mail reads the same in every client and in the test sink. */
export function renderOrderOutcomeEmail(outcome: OrderOutcome): RenderedEmail {
  if (outcome.kind === 'confirmation') {
    const money = (cents: number) => formatMoney(cents, outcome.currency);
    return {
      subject: `Your order ${outcome.orderId} is confirmed`,
      text: [
        'Hello,',
        '',
        `thank you for your order ${outcome.orderId}. It is confirmed and will be shipped soon.`,
        '',
        ...outcome.lines.map(
          (line) =>
            `  ${line.quantity} x ${line.name} (${line.sku}) at ${money(line.unitPriceCents)} each: ${money(line.quantity * line.unitPriceCents)}`,
        ),
        '',
        `Total: ${money(outcome.totalCents)}`,
        '',
        'Shop',
      ].join('\n'),
    };
  }
  return {
    subject: `Your order ${outcome.orderId} was cancelled`,
    text: [
      'Hello,',
      '',
      `we are sorry: your order ${outcome.orderId} was cancelled.`,
      '',
      `Reason: ${outcome.reason}`,
      '',
      'Anything charged for it is refunded.',
      '',
      'Shop',
    ].join('\n'),
  };
}
