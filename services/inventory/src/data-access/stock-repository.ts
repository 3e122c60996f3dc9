import type { OrderItem } from '@shop/contracts';
import { deferUpdate, lockedRows, type Queryable } from '@shop/db';

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

/** Products this transaction holds locked, by SKU (null: no such product), with the stock the batch left them. */
const locked = (db: Queryable) => lockedRows<Product>(db, 'products');

/** Locks the products not locked yet, in SKU order (a fixed order, so concurrent transactions cannot deadlock on them). */
async function lockProducts(tx: Queryable, skus: readonly string[]): Promise<Map<string, Product>> {
  const cache = locked(tx);
  const wanted = [...new Set(skus)].filter((sku) => !cache?.has(sku)).sort();
  const products = new Map<string, Product>();
  if (wanted.length > 0) {
    const { rows } = await tx.query<ProductRow>('SELECT * FROM products WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE', [wanted]);
    for (const sku of wanted) cache?.set(sku, null);
    for (const row of rows) {
      const product = toProduct(row);
      cache?.set(product.sku, product);
      products.set(product.sku, product);
    }
  }
  for (const sku of skus) {
    const product = cache?.get(sku);
    if (product) products.set(sku, product);
  }
  return products;
}

/** The key and the new value of a product's stock, for deferUpdate. */
const STOCK_COLUMNS = [
  ['sku', 'text'],
  ['stock', 'integer'],
] as const;

/**
 * Adds `sign` times each item's quantity to its product's stock. In a batch the products are
 * locked and in memory, so the new stock is written at the commit, one statement for the batch.
 */
async function adjust(tx: Queryable, items: readonly OrderItem[], sign: 1 | -1): Promise<void> {
  const products = await lockProducts(
    tx,
    items.map((item) => item.sku),
  );
  if (!locked(tx)) {
    await tx.query(
      `UPDATE products p SET stock = p.stock + i.quantity
         FROM unnest($1::text[], $2::int[]) AS i(sku, quantity) WHERE p.sku = i.sku`,
      [items.map((i) => i.sku), items.map((i) => sign * i.quantity)],
    );
    return;
  }
  for (const item of items) {
    const product = products.get(item.sku);
    if (!product) continue;
    product.stock += sign * item.quantity;
    await deferUpdate(tx, 'products', STOCK_COLUMNS, '', [product.sku, product.stock]);
  }
}

export const stockRepository = {
  /** Locks the products of these SKUs for the rest of the transaction: a batch's prepare step, one statement. */
  async lockMany(tx: Queryable, skus: readonly string[]): Promise<void> {
    await lockProducts(tx, skus);
  },

  /** The products, locked for the rest of the transaction (from memory when the batch locked them already). */
  lockProducts,

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
