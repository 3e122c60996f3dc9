import type { Queryable } from '@shop/db';

/**
 * How many transactions wrote these rows of `table` (keyed by order_id) last: rows written by one
 * transaction share its id (xmin). Fewer transactions than rows shows a batch committed together;
 * a batch that failed is rolled back and its messages handled one per transaction.
 */
export async function transactionsThatWrote(
  db: Queryable,
  table: 'reservations' | 'payments' | 'shipments' | 'emails',
  orderIds: readonly string[],
): Promise<number> {
  const { rows } = await db.query<{ transactions: number }>(
    `SELECT count(DISTINCT xmin::text)::int AS transactions FROM ${table} WHERE order_id = ANY($1::uuid[])`,
    [orderIds],
  );
  return rows[0]?.transactions ?? 0;
}
