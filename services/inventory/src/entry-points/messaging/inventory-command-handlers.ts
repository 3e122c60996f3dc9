import { inventory, type OrderItem } from '@shop/contracts';
import type { PoolClient } from '@shop/db';
import { on, type Envelope, type MessageHandler } from '@shop/messaging';
import { lockCommandBatch } from '../../domain/lock-command-batch';
import { releaseStock } from '../../domain/release-stock-use-case';
import { reserveStock } from '../../domain/reserve-stock-use-case';

/** Before any handler of a batch runs: its messages passed their contracts, so each has an orderId (and a reserve its items). */
const lockStock = (tx: PoolClient, messages: readonly Envelope[]) =>
  lockCommandBatch(
    tx,
    messages.map((message) => message.data as { orderId: string; items?: OrderItem[] }),
  );

/** What happens when inventory.reserve-stock or inventory.release-stock arrives. */
export function inventoryCommandHandlers(): MessageHandler[] {
  return [
    on(inventory.ReserveStock, async ({ message, tx, send }) => {
      const { orderId, items } = message.data;
      const outcome = await reserveStock(tx, orderId, items);
      if (outcome.reserved) await send(inventory.StockReserved, { orderId, lines: outcome.lines });
      else await send(inventory.StockReservationRejected, { orderId, reason: outcome.reason, detail: outcome.detail });
    }, { prepare: lockStock }),
    on(inventory.ReleaseStock, async ({ message, tx, send }) => {
      const { orderId } = message.data;
      const released = await releaseStock(tx, orderId);
      await send(inventory.StockReleased, { orderId, released });
    }, { prepare: lockStock }),
  ];
}
