import type { OrderItem } from '@shop/contracts';
import type { Queryable } from '@shop/db';
import { reservationRepository } from '../data-access/reservation-repository';
import { stockRepository } from '../data-access/stock-repository';

/**
 * Locks what a batch of reserve and release commands will touch, in two statements instead of two
 * per command: the orders' reservations, then every product they reserve or give back, in SKU
 * order. The use cases then find them locked, in memory, and each sees what the commands before
 * it in the batch did.
 */
export async function lockCommandBatch(tx: Queryable, commands: ReadonlyArray<{ orderId: string; items?: readonly OrderItem[] }>): Promise<void> {
  const reservations = await reservationRepository.lockMany(
    tx,
    commands.map((command) => command.orderId),
  );
  const skus = commands.flatMap((command) => command.items?.map((item) => item.sku) ?? []);
  for (const reservation of reservations.values()) {
    if (reservation?.status === 'RESERVED' && reservation.outcome.reserved) skus.push(...reservation.outcome.lines.map((line) => line.sku));
  }
  await stockRepository.lockMany(tx, skus);
}
