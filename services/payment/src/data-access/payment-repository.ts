import { deferInsert, flushDeferred, lockedRows, type Queryable } from '@shop/db';

export type PaymentStatus = 'CHARGED' | 'DECLINED' | 'REFUNDED' | 'CANCELLED';

export interface Payment {
  orderId: string;
  status: PaymentStatus;
  amountCents: number | null;
  currency: string | null;
  paymentMethod: string | null;
  chargeId: string | null;
  declineReason: string | null;
  refund: { refundedCents: number; refundId: string | null; refundedAt: string } | null;
  createdAt: string;
  updatedAt: string;
}

interface PaymentRow {
  order_id: string;
  status: PaymentStatus;
  amount_cents: number | null;
  currency: string | null;
  payment_method: string | null;
  charge_id: string | null;
  decline_reason: string | null;
  refunded_cents: number;
  refund_id: string | null;
  refunded_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toPayment = (row: PaymentRow): Payment => ({
  orderId: row.order_id,
  status: row.status,
  amountCents: row.amount_cents,
  currency: row.currency,
  paymentMethod: row.payment_method,
  chargeId: row.charge_id,
  declineReason: row.decline_reason,
  refund: row.refunded_at ? { refundedCents: row.refunded_cents, refundId: row.refund_id, refundedAt: row.refunded_at.toISOString() } : null,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export interface ChargeAttempt {
  orderId: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
}

/** Every kind of row is inserted with the same columns, so a batch's inserts are one statement. */
const INSERTED_COLUMNS = ['order_id', 'status', 'amount_cents', 'currency', 'payment_method', 'charge_id', 'decline_reason'] as const;

/** Payments of the orders this transaction holds the lock of (null: none yet), as the batch's handlers left them; only lockOrder and lockMany add to it. */
const locked = (db: Queryable) => lockedRows<Payment>(db, 'payments');

async function readPayments(db: Queryable, orderIds: readonly string[]): Promise<Map<string, Payment>> {
  const { rows } = await db.query<PaymentRow>('SELECT * FROM payments WHERE order_id = ANY($1::uuid[])', [orderIds]);
  return new Map(rows.map((row) => [row.order_id, toPayment(row)]));
}

/** Stages the insert for the commit, and remembers the row for the rest of the batch. */
async function insert(db: Queryable, payment: Omit<Payment, 'refund' | 'createdAt' | 'updatedAt'>): Promise<void> {
  await deferInsert(db, 'payments', INSERTED_COLUMNS, [
    payment.orderId,
    payment.status,
    payment.amountCents,
    payment.currency,
    payment.paymentMethod,
    payment.chargeId,
    payment.declineReason,
  ]);
  const now = new Date().toISOString();
  locked(db)?.set(payment.orderId, { ...payment, refund: null, createdAt: now, updatedAt: now });
}

/**
 * Inserts are deferred to the commit, and a batch locks its orders and reads their payments in two
 * statements (lockMany), however many orders it holds.
 */
export const paymentRepository = {
  /**
   * Makes the charge and the refund of one order take turns until the transaction ends, and reads
   * its payment. A row lock cannot do it: before the first command there is no row to lock.
   */
  async lockOrder(tx: Queryable, orderId: string): Promise<void> {
    const cache = locked(tx);
    if (cache?.has(orderId)) return;
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [orderId]);
    if (cache) cache.set(orderId, (await readPayments(tx, [orderId])).get(orderId) ?? null);
  },

  /**
   * lockOrder for every order of a batch, in order id order (so two batches cannot deadlock), and
   * their payments read: two statements. `find` then answers from memory.
   */
  async lockMany(tx: Queryable, orderIds: readonly string[]): Promise<void> {
    const cache = locked(tx);
    if (!cache) return;
    const wanted = [...new Set(orderIds)].filter((id) => !cache.has(id)).sort();
    if (wanted.length === 0) return;
    // A function scan returns the array in order, so the locks are taken in that order.
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest($1::text[]) AS id', [wanted]);
    const payments = await readPayments(tx, wanted);
    for (const id of wanted) cache.set(id, payments.get(id) ?? null);
  },

  /** The order's payment: from memory when this transaction holds the order's lock, else read. */
  async find(db: Queryable, orderId: string): Promise<Payment | undefined> {
    const known = locked(db)?.get(orderId);
    if (known !== undefined) return known ?? undefined;
    return (await readPayments(db, [orderId])).get(orderId);
  },

  async recordCharged(tx: Queryable, attempt: ChargeAttempt, chargeId: string): Promise<void> {
    await insert(tx, {
      orderId: attempt.orderId,
      status: 'CHARGED',
      amountCents: attempt.amountCents,
      currency: attempt.currency,
      paymentMethod: attempt.paymentMethod,
      chargeId,
      declineReason: null,
    });
  },

  async recordDeclined(tx: Queryable, attempt: ChargeAttempt, declineReason: string): Promise<void> {
    await insert(tx, {
      orderId: attempt.orderId,
      status: 'DECLINED',
      amountCents: attempt.amountCents,
      currency: attempt.currency,
      paymentMethod: attempt.paymentMethod,
      chargeId: null,
      declineReason,
    });
  },

  /** The marker a refund leaves for an order never charged, so a late charge is refused. */
  async recordCancelled(tx: Queryable, orderId: string): Promise<void> {
    await insert(tx, { orderId, status: 'CANCELLED', amountCents: null, currency: null, paymentMethod: null, chargeId: null, declineReason: null });
  },

  /** At once, after the batch's deferred inserts: the payment may have been recorded earlier in this batch. */
  async markRefunded(tx: Queryable, orderId: string, refundedCents: number, refundId: string | null): Promise<void> {
    await flushDeferred(tx);
    await tx.query(
      `UPDATE payments SET status = 'REFUNDED', refunded_cents = $2, refund_id = $3, refunded_at = now(), updated_at = now()
        WHERE order_id = $1`,
      [orderId, refundedCents, refundId],
    );
    const payment = locked(tx)?.get(orderId);
    if (payment) {
      payment.status = 'REFUNDED';
      payment.refund = { refundedCents, refundId, refundedAt: new Date().toISOString() };
    }
  },
};
