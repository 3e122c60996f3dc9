import type { Charge } from '@shop/payment-provider';

export interface PaymentRow {
  order_id: string;
  status: 'PENDING' | 'CHARGED' | 'DECLINED' | 'REFUNDED' | 'CANCELLED';
  amount_cents: number | null;
  charge_id: string | null;
  refunded_cents: number;
}

export interface FinalOrder {
  id: string;
  total_cents: number | null;
}

/** Records one invariant: holds when `bad` is empty, otherwise names the offenders. */
export type Check = (invariant: string, bad: string[], okDetail: string, badDetail: string) => void;

/**
 * The money, from both sets of books: the payment service's rows and the card provider's ledger,
 * where a charge is what the customer sees on their statement. The provider's books decide;
 * the rows must agree with them.
 */
export function checkPayments(
  check: Check,
  { confirmed, cancelled }: { confirmed: FinalOrder[]; cancelled: FinalOrder[] },
  payments: PaymentRow[],
  ledger: Charge[],
): void {
  const paymentOf = new Map(payments.map((p) => [p.order_id, p]));
  const succeeded = ledger.filter((c) => c.status === 'succeeded');
  const chargesOf = new Map<string, Charge[]>();
  for (const charge of succeeded) chargesOf.set(charge.idempotency_key, [...(chargesOf.get(charge.idempotency_key) ?? []), charge]);
  const books = (orderId: string) => describeBooks(paymentOf.get(orderId), chargesOf.get(orderId) ?? []);

  check(
    'no order charged twice at the provider',
    [...chargesOf].filter(([, charges]) => charges.length > 1).map(([orderId]) => `${orderId} (${books(orderId)})`),
    `${succeeded.length} charges succeeded for ${chargesOf.size} orders, ${ledger.length - succeeded.length} declined`,
    'orders with more than one succeeded charge',
  );

  check(
    'every confirmed order charged its total, not refunded',
    confirmed
      .filter((order) => {
        const charges = chargesOf.get(order.id) ?? [];
        const row = paymentOf.get(order.id);
        return !(
          charges.length === 1 &&
          charges[0]!.amount === order.total_cents &&
          charges[0]!.amount_refunded === 0 &&
          row?.status === 'CHARGED' &&
          row.amount_cents === order.total_cents
        );
      })
      .map((order) => `${order.id} (total ${order.total_cents}; ${books(order.id)})`),
    `${confirmed.length} confirmed, each with one charge of its total at the provider`,
    'confirmed orders without exactly their total kept',
  );

  const cancelledCharged = cancelled.filter((order) => chargesOf.has(order.id));
  check(
    "every cancelled order's charge refunded in full",
    cancelledCharged
      .filter((order) => chargesOf.get(order.id)!.some((c) => c.amount_refunded !== c.amount))
      .map((order) => `${order.id} (${books(order.id)})`),
    `${cancelledCharged.length} of ${cancelled.length} cancelled orders had been charged at the provider, all refunded`,
    'cancelled orders whose money the provider kept',
  );

  const final = new Set([...confirmed, ...cancelled].map((order) => order.id));
  check(
    'no payment PENDING for a final order',
    payments.filter((p) => p.status === 'PENDING' && final.has(p.order_id)).map((p) => `${p.order_id} (${books(p.order_id)})`),
    `${payments.length} payment rows, none PENDING`,
    'final orders whose payment is still PENDING',
  );

  const byStatus = new Map<string, number>();
  for (const p of payments) byStatus.set(p.status, (byStatus.get(p.status) ?? 0) + 1);
  check(
    "the payment service's rows agree with the provider's ledger",
    [...new Set([...paymentOf.keys(), ...chargesOf.keys()])]
      .filter((orderId) => !rowAgrees(paymentOf.get(orderId), chargesOf.get(orderId) ?? []))
      .map((orderId) => `${orderId} (${books(orderId)})`),
    `${[...byStatus].map(([status, n]) => `${n} ${status}`).join(', ')}, each as the ledger says`,
    'orders whose rows and ledger disagree',
  );
}

/** CHARGED: its charge, kept whole. REFUNDED: its charge, refunded whole. Anything else, or no row: nothing charged. */
function rowAgrees(row: PaymentRow | undefined, charges: Charge[]): boolean {
  if (charges.length > 1) return false;
  const charge = charges[0];
  switch (row?.status) {
    case 'CHARGED':
      return charge !== undefined && charge.id === row.charge_id && charge.amount === row.amount_cents && charge.amount_refunded === 0;
    case 'REFUNDED':
      return (
        charge !== undefined &&
        charge.id === row.charge_id &&
        charge.amount_refunded === charge.amount &&
        row.refunded_cents === charge.amount
      );
    default:
      return charge === undefined;
  }
}

function describeBooks(row: PaymentRow | undefined, charges: Charge[]): string {
  const ours = row ? `row ${row.status} ${row.charge_id ?? '-'} ${row.amount_cents ?? '-'} refunded ${row.refunded_cents}` : 'no row';
  const theirs = charges.length === 0 ? 'no charge' : charges.map((c) => `${c.id} ${c.amount} refunded ${c.amount_refunded}`).join(', ');
  return `${ours}; provider ${theirs}`;
}
