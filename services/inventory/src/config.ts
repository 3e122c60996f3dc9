import { baseServiceSchema, delayMs, ratio, type z } from '@shop/config';

export const inventoryConfigSchema = baseServiceSchema('inventory', 3001).extend({
  INVENTORY_FAILURE_RATE: ratio(0),
  INVENTORY_ADDED_LATENCY_MS: delayMs(0),
});

export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
