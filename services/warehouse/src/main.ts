import { queueOf } from '@shop/catalog';
import { defineService, runWhenEntryPoint } from '@shop/runtime';
import { warehouseConfigSchema } from './config';
import { warehouseMigrations } from './data-access/migrations';
import { shipmentRoutes } from './entry-points/http/shipment-routes';
import { warehouseCommandHandlers } from './entry-points/messaging/warehouse-command-handlers';

/** Warehouse creates an order's shipment, unless no carrier serves its country, and cancels it as compensation. */
export const service = defineService({
  name: 'warehouse',
  configSchema: warehouseConfigSchema,
  migrations: warehouseMigrations,
  faults: (config) => ({ failureRate: config.WAREHOUSE_FAILURE_RATE, addedLatencyMs: config.WAREHOUSE_ADDED_LATENCY_MS }),
  setup: ({ config, pool }) => ({
    consumers: [{ queue: queueOf('warehouse'), handlers: warehouseCommandHandlers(config.WAREHOUSE_UNSERVED_COUNTRIES) }],
    routes: shipmentRoutes(pool, config.OPERATOR_TOKEN),
  }),
});

runWhenEntryPoint(module, service);
