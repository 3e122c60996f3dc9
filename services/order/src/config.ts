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
  /**
   * Where the live page (`/live/`) links each order: `{traceId}` and `{orderId}` are filled in;
   * `none` when there is no such UI. The defaults are compose's Jaeger, Mailpit and RabbitMQ UIs.
   */
  LIVE_TRACE_URL: linkTemplate('http://localhost:16686/trace/{traceId}'),
  LIVE_MAIL_URL: linkTemplate('http://localhost:8025/search?q={orderId}'),
  LIVE_QUEUES_URL: linkTemplate('http://localhost:15672/#/queues'),
});

/** An http(s) URL with `{placeholders}`, or `none` (null). */
function linkTemplate(fallback: string) {
  return z
    .string()
    .default(fallback)
    .refine(
      (value) => value === 'none' || /^https?:$/.test(URL.parse(value.replaceAll(/[{}]/g, ''))?.protocol ?? ''),
      'expected an http(s) URL, or none',
    )
    .transform((value) => (value === 'none' ? null : value));
}

export type OrderConfig = z.infer<typeof orderConfigSchema>;
