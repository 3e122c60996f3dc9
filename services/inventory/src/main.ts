import { queueOf } from '@shop/catalog';
import { defineService, runWhenEntryPoint } from '@shop/runtime';
import { inventoryConfigSchema } from './config';
import { inventoryMigrations } from './data-access/migrations';
import { stockRoutes } from './entry-points/http/stock-routes';
import { inventoryCommandHandlers } from './entry-points/messaging/inventory-command-handlers';

/** Inventory owns the catalog (sku, name, price, stock) and reserves stock for orders. */
export const service = defineService({
  name: 'inventory',
  configSchema: inventoryConfigSchema,
  migrations: inventoryMigrations,
  faults: (config) => ({ failureRate: config.INVENTORY_FAILURE_RATE, addedLatencyMs: config.INVENTORY_ADDED_LATENCY_MS }),
  setup: ({ config, pool }) => ({
    consumers: [{ queue: queueOf('inventory'), handlers: inventoryCommandHandlers() }],
    routes: stockRoutes(pool, config.OPERATOR_TOKEN),
  }),
});

runWhenEntryPoint(module, service);
