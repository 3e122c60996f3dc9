import { inventory, type OrderItem } from '@shop/contracts';
import type { PoolClient } from '@shop/db';
import { on, type Envelope, type MessageHandler } from '@shop/messaging';
import { reservationRepository } from '../../data-access/reservation-repository';
import { stockRepository } from '../../data-access/stock-repository';
import { releaseStock } from '../../domain/release-stock-use-case';
import { reserveStock } from '../../domain/reserve-stock-use-case';

/**
 * Before any handler of a batch runs, locks what its commands will touch, in two statements: their
 * reservations, then the products a reserve takes or a release gives back (the lines its
 * reservation reserved). The use cases then find them in memory, each seeing what the commands
 * before it did. The messages passed their contracts, so each has an orderId (a reserve its items).
 */
async function lockStock(tx: PoolClient, messages: readonly Envelope[]): Promise<void> {
  const commands = messages.map((message) => message.data as { orderId: string; items?: OrderItem[] });
  const reservations = await reservationRepository.lockMany(
    tx,
    commands.map((command) => command.orderId),
  );
  const reserved = [...reservations.values()].flatMap((r) => (r.status === 'RESERVED' && r.outcome.reserved ? r.outcome.lines : []));
  await stockRepository.lockProducts(
    tx,
    [...commands.flatMap((command) => command.items ?? []), ...reserved].map((item) => item.sku),
  );
}

/** What happens when inventory.reserve-stock or inventory.release-stock arrives. */
export function inventoryCommandHandlers(): MessageHandler[] {
  return [
    on(
      inventory.ReserveStock,
      async ({ message, tx, send }) => {
        const { orderId, items } = message.data;
        const outcome = await reserveStock(tx, orderId, items);
        if (outcome.reserved) await send(inventory.StockReserved, { orderId, lines: outcome.lines });
        else await send(inventory.StockReservationRejected, { orderId, reason: outcome.reason, detail: outcome.detail });
      },
      { prepare: lockStock },
    ),
    on(
      inventory.ReleaseStock,
      async ({ message, tx, send }) => {
        const { orderId } = message.data;
        const released = await releaseStock(tx, orderId);
        await send(inventory.StockReleased, { orderId, released });
      },
      { prepare: lockStock },
    ),
  ];
}
