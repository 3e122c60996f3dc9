import { inventory } from '@shop/contracts';
import { on, type MessageHandler } from '@shop/messaging';
import { injectFaults, type FaultSettings } from '@shop/runtime';
import { releaseStock } from '../../domain/release-stock-use-case';
import { reserveStock } from '../../domain/reserve-stock-use-case';

/** What happens when inventory.reserve-stock or inventory.release-stock arrives. */
export function inventoryCommandHandlers(faults: FaultSettings): MessageHandler[] {
  return [
    on(inventory.ReserveStock, async ({ message, tx, send }) => {
      await injectFaults(faults, 'inventory');
      const { orderId, items } = message.data;
      const outcome = await reserveStock(tx, orderId, items);
      if (outcome.reserved) await send(inventory.StockReserved, { orderId, lines: outcome.lines });
      else await send(inventory.StockReservationRejected, { orderId, reason: outcome.reason, detail: outcome.detail });
    }),
    on(inventory.ReleaseStock, async ({ message, tx, send }) => {
      await injectFaults(faults, 'inventory');
      const { orderId } = message.data;
      const released = await releaseStock(tx, orderId);
      await send(inventory.StockReleased, { orderId, released });
    }),
  ];
}
