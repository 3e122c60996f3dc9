import { cents, sku, type OrderItem } from '@shop/contracts';
import { lockedTable, scopeOf, type Queryable } from '@shop/db';
import { z } from 'zod';

/** A product of the catalog with its stock, as the operator endpoints show it; the type below is made from it. */
export const productSchema = z
  .object({
    sku,
    name: z.string(),
    unitPriceCents: cents,
    stock: z.number().int().nonnegative(),
    initialStock: z.number().int().nonnegative().meta({ description: 'The seeded stock, which `npm run reset-stock` puts back.' }),
  })
  .meta({ id: 'Product', examples: [{ sku: 'SKU-MUG', name: 'Enamel mug', unitPriceCents: 1200, stock: 1000000, initialStock: 1000000 }] });
export type Product = z.output<typeof productSchema>;

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

/**
 * Products by SKU: a batch locks the products its commands touch in one statement (SKU order),
 * and the new stock of each is written once, at the commit (@shop/db lockedTable).
 */
const products = lockedTable<Product, ProductRow>({
  table: 'products',
  key: 'sku',
  keyType: 'text',
  keyOf: (product) => product.sku,
  fromRecord: toProduct,
  updated: {
    columns: [
      ['sku', 'text'],
      ['stock', 'integer'],
    ],
    values: (product) => [product.sku, product.stock],
  },
});

/**
 * Adds `sign` times each item's quantity to its product's stock. In a batch the products are
 * locked and in memory, so the new stock is written at the commit, one statement for the batch.
 */
async function adjust(tx: Queryable, items: readonly OrderItem[], sign: 1 | -1): Promise<void> {
  if (!scopeOf(tx)) {
    // No transaction memory to keep the new stock in: one relative update, at once.
    await tx.query(
      `UPDATE products p SET stock = p.stock + i.quantity
         FROM unnest($1::text[], $2::int[]) AS i(sku, quantity) WHERE p.sku = i.sku`,
      [items.map((i) => i.sku), items.map((i) => sign * i.quantity)],
    );
    return;
  }
  const locked = await products.lockMany(
    tx,
    items.map((item) => item.sku),
  );
  for (const item of items) {
    const product = locked.get(item.sku);
    if (!product) continue;
    product.stock += sign * item.quantity;
    await products.updateLater(tx, product);
  }
}

export const stockRepository = {
  /** The products of these SKUs, locked for the rest of the transaction (from memory when the batch locked them already). */
  lockProducts: products.lockMany,

  async take(tx: Queryable, items: OrderItem[]): Promise<void> {
    await adjust(tx, items, -1);
  },

  async giveBack(tx: Queryable, items: OrderItem[]): Promise<void> {
    await adjust(tx, items, 1);
  },

  async list(db: Queryable): Promise<Product[]> {
    const { rows } = await db.query<ProductRow>('SELECT * FROM products ORDER BY sku');
    return rows.map(toProduct);
  },

  find: products.find,

  /** Puts every product's stock back to its seeded amount (demo and load-test reset). */
  async resetStock(db: Queryable): Promise<number> {
    const result = await db.query('UPDATE products SET stock = initial_stock');
    return result.rowCount ?? 0;
  },
};
