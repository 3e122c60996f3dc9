import type { Queryable } from '@shop/db';
import type { DeclineCode } from '../domain/payment-provider';

/** One charge attempt as the simulated provider books it, keyed by the caller's idempotency key. */
export interface LedgerEntry {
  idempotencyKey: string;
  chargeId: string;
  status: 'succeeded' | 'declined';
  declineCode: DeclineCode | null;
  declineMessage: string | null;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  refundedCents: number;
}

interface LedgerRow {
  idempotency_key: string;
  charge_id: string;
  status: 'succeeded' | 'declined';
  decline_code: DeclineCode | null;
  decline_message: string | null;
  amount_cents: number;
  currency: string;
  payment_method: string;
  refunded_cents: number;
}

const toEntry = (row: LedgerRow): LedgerEntry => ({
  idempotencyKey: row.idempotency_key,
  chargeId: row.charge_id,
  status: row.status,
  declineCode: row.decline_code,
  declineMessage: row.decline_message,
  amountCents: row.amount_cents,
  currency: row.currency,
  paymentMethod: row.payment_method,
  refundedCents: row.refunded_cents,
});

export const providerLedgerRepository = {
  /**
   * Books the attempt unless its key is booked already, and returns whichever entry holds the key.
   * When the key was taken, a second statement reads the holder: its fresh snapshot sees a
   * concurrent winner's row, which the INSERT's own snapshot would not.
   */
  async bookOnce(db: Queryable, entry: Omit<LedgerEntry, 'refundedCents'>): Promise<LedgerEntry> {
    const { rows } = await db.query<LedgerRow>(
      `INSERT INTO provider_ledger
         (idempotency_key, charge_id, status, decline_code, decline_message, amount_cents, currency, payment_method)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      [entry.idempotencyKey, entry.chargeId, entry.status, entry.declineCode, entry.declineMessage, entry.amountCents, entry.currency, entry.paymentMethod],
    );
    if (rows[0]) return toEntry(rows[0]);
    const booked = await this.findByKey(db, entry.idempotencyKey);
    if (!booked) throw new Error(`provider ledger lost the entry for ${entry.idempotencyKey}`);
    return booked;
  },

  async findByKey(db: Queryable, idempotencyKey: string): Promise<LedgerEntry | undefined> {
    const { rows } = await db.query<LedgerRow>('SELECT * FROM provider_ledger WHERE idempotency_key = $1', [idempotencyKey]);
    return rows[0] && toEntry(rows[0]);
  },

  async findByChargeId(db: Queryable, chargeId: string): Promise<LedgerEntry | undefined> {
    const { rows } = await db.query<LedgerRow>('SELECT * FROM provider_ledger WHERE charge_id = $1', [chargeId]);
    return rows[0] && toEntry(rows[0]);
  },

  /** Adds a refund in one conditional statement, so two refunds can never exceed the charge. */
  async addRefund(db: Queryable, chargeId: string, amountCents: number, refundId: string): Promise<boolean> {
    const result = await db.query(
      `UPDATE provider_ledger SET refunded_cents = refunded_cents + $2, refund_id = $3, refunded_at = now()
        WHERE charge_id = $1 AND status = 'succeeded' AND refunded_cents + $2 <= amount_cents`,
      [chargeId, amountCents, refundId],
    );
    return result.rowCount === 1;
  },
};
