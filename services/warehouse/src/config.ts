import { serviceNamed } from '@shop/catalog';
import { baseServiceSchema, delayMs, ratio, z } from '@shop/config';

export const warehouseConfigSchema = baseServiceSchema(serviceNamed('warehouse')).extend({
  /** Destinations no carrier of ours serves, e.g. `AQ,KP`; a shipment there is rejected. */
  WAREHOUSE_UNSERVED_COUNTRIES: z
    .string()
    .regex(/^[A-Za-z]{2}(\s*,\s*[A-Za-z]{2})*$/, 'expected comma-separated ISO 3166-1 alpha-2 codes, e.g. AQ,KP')
    .default('AQ')
    .transform((value) => value.split(',').map((code) => code.trim().toUpperCase())),
  WAREHOUSE_FAILURE_RATE: ratio(0),
  WAREHOUSE_ADDED_LATENCY_MS: delayMs(0),
});

export type WarehouseConfig = z.infer<typeof warehouseConfigSchema>;
