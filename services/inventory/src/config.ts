import { serviceNamed } from '@shop/catalog';
import { baseServiceSchema, delayMs, ratio, type z } from '@shop/config';

export const inventoryConfigSchema = baseServiceSchema(serviceNamed('inventory')).extend({
  INVENTORY_FAILURE_RATE: ratio(0),
  INVENTORY_ADDED_LATENCY_MS: delayMs(0),
});

export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
