import type { OrderItem } from '@shop/contracts';
import type { Queryable } from '@shop/db';

export interface Product {
  sku: string;
  name: string;
  unitPriceCents: number;
  stock: number;
  initialStock: number;
}

interface ProductRow {
  sku: string;
  name: string;
  unit_price_cents: number;
  stock: number;
  initial_stock: number;
}

const toProduct = (row: ProductRow): Product => ({
  sku: row.sku,
  name: row.name,
  unitPriceCents: row.unit_price_cents,
  stock: row.stock,
  initialStock: row.initial_stock,
});

export const stockRepository = {
  /** Locks the rows in SKU order (a fixed order, so concurrent reservations cannot deadlock). */
  async lockProducts(tx: Queryable, skus: string[]): Promise<Map<string, Product>> {
    const { rows } = await tx.query<ProductRow>('SELECT * FROM products WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE', [skus]);
    return new Map(rows.map((row) => [row.sku, toProduct(row)]));
  },

  async take(tx: Queryable, items: OrderItem[]): Promise<void> {
    await tx.query(
      `UPDATE products p SET stock = p.stock - i.quantity
         FROM unnest($1::text[], $2::int[]) AS i(sku, quantity) WHERE p.sku = i.sku`,
      [items.map((i) => i.sku), items.map((i) => i.quantity)],
    );
  },

  async giveBack(tx: Queryable, items: OrderItem[]): Promise<void> {
    // Same lock order as a reservation (by SKU) before updating: an UPDATE ... FROM locks rows in
    // join order, and two orders doing that in different orders deadlock.
    await this.lockProducts(
      tx,
      items.map((item) => item.sku),
    );
    await tx.query(
      `UPDATE products p SET stock = p.stock + i.quantity
         FROM unnest($1::text[], $2::int[]) AS i(sku, quantity) WHERE p.sku = i.sku`,
      [items.map((i) => i.sku), items.map((i) => i.quantity)],
    );
  },

  async list(db: Queryable): Promise<Product[]> {
    const { rows } = await db.query<ProductRow>('SELECT * FROM products ORDER BY sku');
    return rows.map(toProduct);
  },

  async find(db: Queryable, sku: string): Promise<Product | undefined> {
    const { rows } = await db.query<ProductRow>('SELECT * FROM products WHERE sku = $1', [sku]);
    return rows[0] && toProduct(rows[0]);
  },

  /** Puts every product's stock back to its seeded amount (demo and load-test reset). */
  async resetStock(db: Queryable): Promise<number> {
    const result = await db.query('UPDATE products SET stock = initial_stock');
    return result.rowCount ?? 0;
  },
};
