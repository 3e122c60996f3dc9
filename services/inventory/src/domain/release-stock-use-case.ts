import type { Queryable } from '@shop/db';
import { reservationRepository } from '../data-access/reservation-repository';
import { stockRepository } from '../data-access/stock-repository';

/**
 * Compensation: gives back what the order's reservation took. Releasing an order never reserved
 * leaves a RELEASED marker, so a reserve command arriving late is refused instead of taking stock
 * nobody will give back. Returns whether stock went back now.
 */
export async function releaseStock(tx: Queryable, orderId: string): Promise<boolean> {
  const reservation = await reservationRepository.find(tx, orderId, { forUpdate: true });
  if (!reservation) {
    await reservationRepository.record(tx, orderId, 'RELEASED', {
      reserved: false,
      reason: 'order-cancelled',
      detail: 'the order was cancelled before its stock was reserved',
    });
    return false;
  }
  if (reservation.status !== 'RESERVED') return false;
  if (reservation.outcome.reserved) await stockRepository.giveBack(tx, reservation.outcome.lines);
  await reservationRepository.markReleased(tx, orderId);
  return true;
}
