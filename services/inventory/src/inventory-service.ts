import { queueOf } from '@shop/catalog';
import { startService } from '@shop/runtime';
import type { InventoryConfig } from './config';
import { inventoryMigrations } from './data-access/migrations';
import { stockRoutes } from './entry-points/http/stock-routes';
import { inventoryCommandHandlers } from './entry-points/messaging/inventory-command-handlers';

/** Inventory owns the catalog (sku, name, price, stock) and reserves stock for orders. */
export function startInventoryService(config: InventoryConfig) {
  return startService({
    name: 'inventory',
    config,
    migrations: inventoryMigrations,
    faults: { failureRate: config.INVENTORY_FAILURE_RATE, addedLatencyMs: config.INVENTORY_ADDED_LATENCY_MS },
    setup: ({ pool }) => ({
      consumers: [{ queue: queueOf('inventory'), handlers: inventoryCommandHandlers() }],
      routes: stockRoutes(pool),
    }),
  });
}
