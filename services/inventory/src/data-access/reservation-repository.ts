import type { Queryable } from '@shop/db';
import type { ReserveOutcome } from '../domain/reserve-stock-use-case';

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

export const reservationRepository = {
  async find(db: Queryable, orderId: string, { forUpdate = false } = {}): Promise<Reservation | undefined> {
    const { rows } = await db.query<ReservationRow>(
      `SELECT * FROM reservations WHERE order_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [orderId],
    );
    return rows[0] && toReservation(rows[0]);
  },

  async record(db: Queryable, orderId: string, status: ReservationStatus, outcome: ReserveOutcome): Promise<void> {
    await db.query('INSERT INTO reservations (order_id, status, outcome) VALUES ($1, $2, $3)', [orderId, status, outcome]);
  },

  async markReleased(db: Queryable, orderId: string): Promise<void> {
    await db.query(`UPDATE reservations SET status = 'RELEASED', updated_at = now() WHERE order_id = $1`, [orderId]);
  },
};
