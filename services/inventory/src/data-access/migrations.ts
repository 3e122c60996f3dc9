import type { Migration } from '@shop/db';
import { catalogSeed } from '../domain/catalog-seed';

const seedValues = catalogSeed
  .map((p) => `('${p.sku}', '${p.name.replace(/'/g, "''")}', ${p.unitPriceCents}, ${p.stock}, ${p.stock})`)
  .join(',\n        ');

export const inventoryMigrations: Migration[] = [
  {
    id: '0001-products-and-reservations',
    sql: `
      CREATE TABLE products (
        sku              text PRIMARY KEY,
        name             text NOT NULL,
        unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
        stock            integer NOT NULL CHECK (stock >= 0),
        initial_stock    integer NOT NULL
      );
      -- One row per order: the outcome of its reserve command, so a repeat gets the same answer.
      CREATE TABLE reservations (
        order_id   uuid PRIMARY KEY,
        status     text NOT NULL CHECK (status IN ('RESERVED', 'REJECTED', 'RELEASED')),
        outcome    jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO products (sku, name, unit_price_cents, stock, initial_stock) VALUES
        ${seedValues};
    `,
  },
];
