import { serviceNamed } from '@shop/catalog';
import { baseServiceSchema, milliseconds, z } from '@shop/config';

export const orderConfigSchema = baseServiceSchema(serviceNamed('order')).extend({
  /** How long a saga step waits for its participant's reply before it counts as failed. */
  SAGA_STEP_TIMEOUT_MS: milliseconds(10_000),
  SAGA_DEADLINE_POLL_MS: milliseconds(250),
  /** Compensations are retried forever; the wait between tries grows up to this. */
  SAGA_COMPENSATION_RETRY_MAX_MS: milliseconds(60_000),
  /**
   * Group commit of POST /orders: up to this many orders placed at the same moment share one
   * transaction (1: each its own), with at most PLACE_ORDER_TRANSACTIONS transactions in flight.
   */
  PLACE_ORDER_GROUP_SIZE: z.coerce.number().int().min(1).max(500).default(50),
  PLACE_ORDER_TRANSACTIONS: z.coerce.number().int().min(1).max(50).default(2),
  /** POST /orders a minute from one client address, per replica; over it, 429 with Retry-After. 0: no limit. */
  ORDER_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(0),
  ORDER_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as EUR')
    .default('EUR'),
});

export type OrderConfig = z.infer<typeof orderConfigSchema>;
