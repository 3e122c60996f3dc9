import type { OrderItem } from '@shop/contracts';
import type { Queryable } from '@shop/db';
import { reservationRepository, type ReserveOutcome } from '../data-access/reservation-repository';
import { stockRepository } from '../data-access/stock-repository';

/**
 * Reserves every line of an order or none. The outcome is stored with the order id, so asking
 * again gives the same answer and never takes stock twice; an order already released (its
 * compensation overtook this command) is refused.
 */
export async function reserveStock(tx: Queryable, orderId: string, items: OrderItem[]): Promise<ReserveOutcome> {
  const earlier = await reservationRepository.find(tx, orderId, { forUpdate: true });
  if (earlier?.status === 'RELEASED') {
    return { reserved: false, reason: 'order-cancelled', detail: 'the order was cancelled; its stock is not reserved again' };
  }
  if (earlier) return earlier.outcome;

  const products = await stockRepository.lockProducts(
    tx,
    items.map((item) => item.sku),
  );
  let outcome: ReserveOutcome;
  const unknown = items.filter((item) => !products.has(item.sku)).map((item) => item.sku);
  const short = items.filter((item) => (products.get(item.sku)?.stock ?? 0) < item.quantity).map((item) => item.sku);
  if (unknown.length > 0) {
    outcome = { reserved: false, reason: 'unknown-sku', detail: `unknown SKU: ${unknown.join(', ')}` };
  } else if (short.length > 0) {
    outcome = { reserved: false, reason: 'insufficient-stock', detail: `not enough stock for ${short.join(', ')}` };
  } else {
    await stockRepository.take(tx, items);
    const lines = items.map((item) => {
      const product = products.get(item.sku)!;
      return { sku: item.sku, quantity: item.quantity, name: product.name, unitPriceCents: product.unitPriceCents };
    });
    outcome = { reserved: true, lines };
  }
  await reservationRepository.record(tx, orderId, outcome.reserved ? 'RESERVED' : 'REJECTED', outcome);
  return outcome;
}
