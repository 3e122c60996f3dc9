import type { Queryable } from '@shop/db';

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

export const paymentRepository = {
  /**
   * Makes the charge and the refund of one order take turns until the transaction ends. A row
   * lock cannot do it: before the first command there is no row to lock.
   */
  async lockOrder(tx: Queryable, orderId: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [orderId]);
  },

  async find(db: Queryable, orderId: string): Promise<Payment | undefined> {
    const { rows } = await db.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [orderId]);
    return rows[0] && toPayment(rows[0]);
  },

  async recordCharged(tx: Queryable, attempt: ChargeAttempt, chargeId: string): Promise<void> {
    await tx.query(
      `INSERT INTO payments (order_id, status, amount_cents, currency, payment_method, charge_id)
       VALUES ($1, 'CHARGED', $2, $3, $4, $5)`,
      [attempt.orderId, attempt.amountCents, attempt.currency, attempt.paymentMethod, chargeId],
    );
  },

  async recordDeclined(tx: Queryable, attempt: ChargeAttempt, declineReason: string): Promise<void> {
    await tx.query(
      `INSERT INTO payments (order_id, status, amount_cents, currency, payment_method, decline_reason)
       VALUES ($1, 'DECLINED', $2, $3, $4, $5)`,
      [attempt.orderId, attempt.amountCents, attempt.currency, attempt.paymentMethod, declineReason],
    );
  },

  /** The marker a refund leaves for an order never charged, so a late charge is refused. */
  async recordCancelled(tx: Queryable, orderId: string): Promise<void> {
    await tx.query(`INSERT INTO payments (order_id, status) VALUES ($1, 'CANCELLED')`, [orderId]);
  },

  async markRefunded(tx: Queryable, orderId: string, refundedCents: number, refundId: string | null): Promise<void> {
    await tx.query(
      `UPDATE payments SET status = 'REFUNDED', refunded_cents = $2, refund_id = $3, refunded_at = now(), updated_at = now()
        WHERE order_id = $1`,
      [orderId, refundedCents, refundId],
    );
  },
};
