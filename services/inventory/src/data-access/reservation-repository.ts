import { deferInsert, flushDeferred, lockedRows, type Queryable } from '@shop/db';
import type { PricedLine } from '@shop/contracts';

/** What reserving an order's stock came to; stored with the order id, so a repeat gets the same answer. */
export type ReserveOutcome =
  | { reserved: true; lines: PricedLine[] }
  | { reserved: false; reason: 'unknown-sku' | 'insufficient-stock' | 'order-cancelled'; detail: string };

export type ReservationStatus = 'RESERVED' | 'REJECTED' | 'RELEASED';

export interface Reservation {
  orderId: string;
  status: ReservationStatus;
  outcome: ReserveOutcome;
  createdAt: string;
  updatedAt: string;
}

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  outcome: ReserveOutcome;
  created_at: Date;
  updated_at: Date;
}

const toReservation = (row: ReservationRow): Reservation => ({
  orderId: row.order_id,
  status: row.status,
  outcome: row.outcome,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Reservations this transaction holds locked, by order id (null: none), as the batch's handlers left them. */
const locked = (db: Queryable) => lockedRows<Reservation>(db, 'reservations');

/**
 * Inserts are deferred to the commit and a batch's reservations are locked in one statement
 * (lockMany), so the rows of a batch cost two statements however many orders it holds.
 */
export const reservationRepository = {
  /** Locks these orders' reservations, in order id order, for the rest of the transaction; returns them (null: none). */
  async lockMany(db: Queryable, orderIds: readonly string[]): Promise<Map<string, Reservation | null>> {
    const cache = locked(db) ?? new Map<string, Reservation | null>();
    const wanted = [...new Set(orderIds)].filter((id) => !cache.has(id));
    if (wanted.length > 0) {
      const { rows } = await db.query<ReservationRow>('SELECT * FROM reservations WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE', [wanted]);
      for (const id of wanted) cache.set(id, null);
      for (const row of rows) cache.set(row.order_id, toReservation(row));
    }
    return new Map(orderIds.map((id) => [id, cache.get(id) ?? null]));
  },

  async find(db: Queryable, orderId: string, { forUpdate = false } = {}): Promise<Reservation | undefined> {
    const cache = forUpdate ? locked(db) : undefined;
    const known = cache?.get(orderId);
    if (known !== undefined) return known ?? undefined;
    const { rows } = await db.query<ReservationRow>(
      `SELECT * FROM reservations WHERE order_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [orderId],
    );
    const reservation = rows[0] && toReservation(rows[0]);
    cache?.set(orderId, reservation ?? null);
    return reservation;
  },

  async record(db: Queryable, orderId: string, status: ReservationStatus, outcome: ReserveOutcome): Promise<void> {
    await deferInsert(db, 'reservations', ['order_id', 'status', 'outcome'], [orderId, status, JSON.stringify(outcome)]);
    const now = new Date().toISOString();
    locked(db)?.set(orderId, { orderId, status, outcome, createdAt: now, updatedAt: now });
  },

  /** At once, after the batch's deferred writes: the reservation may have been made earlier in this batch. */
  async markReleased(db: Queryable, orderId: string): Promise<void> {
    await flushDeferred(db);
    await db.query(`UPDATE reservations SET status = 'RELEASED', updated_at = now() WHERE order_id = $1`, [orderId]);
    const reservation = locked(db)?.get(orderId);
    if (reservation) reservation.status = 'RELEASED';
  },
};
