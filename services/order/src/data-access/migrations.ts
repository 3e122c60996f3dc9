import type { Migration } from '@shop/db';
import { sagaMigrations } from '@shop/saga';

export const orderMigrations: Migration[] = [
  ...sagaMigrations,
  {
    id: '0001-orders',
    sql: `
      CREATE TABLE orders (
        id                  uuid PRIMARY KEY,
        status              text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
        customer_id         text NOT NULL,
        email               text NOT NULL,
        items               jsonb NOT NULL,
        shipping_address    jsonb NOT NULL,
        payment_method      text NOT NULL,
        currency            text NOT NULL,
        cancellation_reason text,
        lines               jsonb,
        total_cents         integer,
        idempotency_key     text UNIQUE,
        request_hash        text,
        trace_id            text,
        created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at          timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX orders_newest ON orders (created_at DESC, id DESC);
      CREATE INDEX orders_by_status_newest ON orders (status, created_at DESC, id DESC);
    `,
  },
];
