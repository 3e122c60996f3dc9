import { lockedTable, type Queryable } from '@shop/db';
import { orderId, pricedLine } from '@shop/contracts';
import { z } from 'zod';

/** What reserving an order's stock came to; stored with the order id, so a repeat gets the same answer. */
const reserveOutcome = z.discriminatedUnion('reserved', [
  z.object({ reserved: z.literal(true), lines: z.array(pricedLine) }),
  z.object({ reserved: z.literal(false), reason: z.enum(['unknown-sku', 'insufficient-stock', 'order-cancelled']), detail: z.string() }),
]);
export type ReserveOutcome = z.output<typeof reserveOutcome>;

const reservationStatus = z.enum(['RESERVED', 'REJECTED', 'RELEASED']);
export type ReservationStatus = z.output<typeof reservationStatus>;

/** One order's reservation, as the operator endpoint shows it; the type below is made from it. */
export const reservationSchema = z
  .object({ orderId, status: reservationStatus, outcome: reserveOutcome, createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() })
  .meta({ id: 'Reservation' });
export type Reservation = z.output<typeof reservationSchema>;

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  outcome: ReserveOutcome;
  created_at: Date;
  updated_at: Date;
}

/**
 * One row per order, by order id: a batch locks its orders' reservations in one statement and
 * inserts its new ones in one statement at the commit (@shop/db lockedTable).
 */
const reservations = lockedTable<Reservation, ReservationRow>({
  table: 'reservations',
  key: 'order_id',
  keyType: 'uuid',
  keyOf: (reservation) => reservation.orderId,
  fromRecord: (row) => ({
    orderId: row.order_id,
    status: row.status,
    outcome: row.outcome,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }),
  inserted: {
    columns: [
      ['order_id', 'uuid'],
      ['status', 'text'],
      ['outcome', 'jsonb'],
    ],
    values: (reservation) => [reservation.orderId, reservation.status, JSON.stringify(reservation.outcome)],
  },
});

export const reservationRepository = {
  /** Locks these orders' reservations, in order id order, for the rest of the transaction; returns those that exist. */
  lockMany: reservations.lockMany,

  /** With forUpdate, locked for the rest of the transaction (from memory when the batch locked it already). */
  find: reservations.find,

  async record(db: Queryable, orderId: string, status: ReservationStatus, outcome: ReserveOutcome): Promise<void> {
    const now = new Date().toISOString();
    await reservations.insert(db, { orderId, status, outcome, createdAt: now, updatedAt: now });
  },

  /** At once, after the batch's deferred writes: the reservation may have been made earlier in this batch. */
  async markReleased(db: Queryable, orderId: string): Promise<void> {
    await reservations.updateNow(db, orderId, `status = 'RELEASED', updated_at = now()`, (reservation) => {
      reservation.status = 'RELEASED';
    });
  },
};
