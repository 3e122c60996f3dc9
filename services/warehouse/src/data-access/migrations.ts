import type { Migration } from '@shop/db';

export const warehouseMigrations: Migration[] = [
  {
    id: '0001-shipments',
    sql: `
      -- One row per order: what its create-shipment command did, so a repeat gets the same answer.
      -- A CANCELLED row without a shipment id is the marker a cancel leaves when it overtakes the create.
      CREATE TABLE shipments (
        order_id    uuid PRIMARY KEY,
        shipment_id text UNIQUE,
        status      text NOT NULL CHECK (status IN ('CREATED', 'REJECTED', 'CANCELLED')),
        country     text,
        address     jsonb,
        items       jsonb,
        reason      text,
        detail      text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CHECK (status <> 'CREATED' OR shipment_id IS NOT NULL)
      );
    `,
  },
];
