import { cents, currency, orderId } from '@shop/contracts';
import type { Queryable } from '@shop/db';
import { z } from 'zod';

const paymentStatus = z.enum(['PENDING', 'CHARGED', 'DECLINED', 'REFUNDED', 'CANCELLED']);
export type PaymentStatus = z.output<typeof paymentStatus>;

/** One order's payment, as the operator endpoint shows it; the type below is made from it. */
export const paymentSchema = z
  .object({
    orderId,
    status: paymentStatus,
    amountCents: cents.nullable(),
    currency: currency.nullable(),
    paymentMethod: z.string().nullable(),
    chargeId: z.string().nullable(),
    declineReason: z.string().nullable(),
    refund: z.object({ refundedCents: cents, refundId: z.string().nullable(), refundedAt: z.iso.datetime() }).nullable(),
    chargeStartedAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'When the last charge call began; null once no charge call can be outstanding.' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Payment' });
export type Payment = z.output<typeof paymentSchema>;

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
  charge_started_at: Date | null;
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
  refund: row.refunded_at
    ? { refundedCents: row.refunded_cents, refundId: row.refund_id, refundedAt: row.refunded_at.toISOString() }
    : null,
  chargeStartedAt: row.charge_started_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export interface ChargeAttempt {
  orderId: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
}

const one = async (db: Queryable, sql: string, values: unknown[]): Promise<Payment> => {
  const { rows } = await db.query<PaymentRow>(sql, values);
  if (!rows[0]) throw new Error(`payments: no row returned by ${sql.slice(0, 60)}…`);
  return toPayment(rows[0]);
};

/**
 * Every change is one statement that locks the row it writes (an upsert or an update), so the
 * charge and the refund of one order take turns without a lock held across a provider call.
 */
export const paymentRepository = {
  async find(db: Queryable, orderId: string): Promise<Payment | undefined> {
    const { rows } = await db.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [orderId]);
    return rows[0] && toPayment(rows[0]);
  },

  /**
   * Records the intent to charge before the provider is called: a new PENDING row, or the call's
   * new start on a PENDING one (a retry). Any other row is the order's payment already decided,
   * and comes back unchanged.
   */
  beginCharge(db: Queryable, attempt: ChargeAttempt): Promise<Payment> {
    return one(
      db,
      `INSERT INTO payments (order_id, status, amount_cents, currency, payment_method, charge_started_at)
       VALUES ($1, 'PENDING', $2, $3, $4, now())
       ON CONFLICT (order_id) DO UPDATE
         SET charge_started_at = CASE WHEN payments.status = 'PENDING' THEN now() ELSE payments.charge_started_at END
       RETURNING *`,
      [attempt.orderId, attempt.amountCents, attempt.currency, attempt.paymentMethod],
    );
  },

  /** The provider's answer, written only while the charge is PENDING; returns the row as it now is. */
  recordChargeResult(db: Queryable, orderId: string, result: { chargeId: string } | { declineReason: string }): Promise<Payment> {
    const [status, chargeId, declineReason] =
      'chargeId' in result ? ['CHARGED', result.chargeId, null] : ['DECLINED', null, result.declineReason];
    return one(
      db,
      `WITH answered AS (
         UPDATE payments SET status = $2, charge_id = $3, decline_reason = $4, charge_started_at = NULL, updated_at = now()
          WHERE order_id = $1 AND status = 'PENDING' RETURNING *)
       SELECT * FROM answered UNION ALL SELECT * FROM payments WHERE order_id = $1 AND NOT EXISTS (SELECT 1 FROM answered)`,
      [orderId, status, chargeId, declineReason],
    );
  },

  /**
   * A refund is asked for: a PENDING charge becomes CANCELLED (no new charge call starts for it),
   * and an order with no payment gets a CANCELLED marker, so a charge that arrives late is refused.
   * Says for how long a charge call may still be outstanding: one that began less than
   * `callWindowMs` ago (by the database's clock, which set its start).
   */
  async beginRefund(db: Queryable, orderId: string, callWindowMs: number): Promise<{ payment: Payment; chargeOutstandingForMs: number }> {
    const { rows } = await db.query<PaymentRow & { outstanding_ms: number }>(
      `INSERT INTO payments (order_id, status) VALUES ($1, 'CANCELLED')
       ON CONFLICT (order_id) DO UPDATE
         SET status = CASE WHEN payments.status = 'PENDING' THEN 'CANCELLED' ELSE payments.status END, updated_at = now()
       RETURNING *, greatest(0, coalesce(extract(epoch FROM charge_started_at - now()) * 1000 + $2, 0))::float8 AS outstanding_ms`,
      [orderId, callWindowMs],
    );
    const row = rows[0]!;
    return { payment: toPayment(row), chargeOutstandingForMs: Math.ceil(row.outstanding_ms) };
  },

  /** The charge is refunded; a charge found at the provider but never recorded here is recorded with it. */
  recordRefunded(
    db: Queryable,
    orderId: string,
    refund: { chargeId: string; amountCents: number; refundId: string | null },
  ): Promise<Payment> {
    return one(
      db,
      `UPDATE payments SET status = 'REFUNDED', charge_id = $2, amount_cents = coalesce(amount_cents, $3), refunded_cents = $3,
              refund_id = $4, refunded_at = coalesce(refunded_at, now()), charge_started_at = NULL, updated_at = now()
        WHERE order_id = $1 RETURNING *`,
      [orderId, refund.chargeId, refund.amountCents, refund.refundId],
    );
  },

  /** The provider holds no charge for the cancelled order, and none can still arrive. */
  async recordNothingCharged(db: Queryable, orderId: string): Promise<void> {
    await db.query(`UPDATE payments SET charge_started_at = NULL, updated_at = now() WHERE order_id = $1 AND status = 'CANCELLED'`, [
      orderId,
    ]);
  },
};
