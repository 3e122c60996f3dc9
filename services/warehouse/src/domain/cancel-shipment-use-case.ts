import type { Queryable } from '@shop/db';
import { shipmentRepository } from '../data-access/shipment-repository';

/**
 * Compensation: cancels the order's shipment once and says whether there was one to cancel; a
 * repeat answers as the first cancel did. Cancelling an order never shipped leaves a CANCELLED
 * marker, so a create arriving late is refused instead of shipping goods nobody paid for.
 */
export async function cancelShipment(tx: Queryable, orderId: string): Promise<boolean> {
  const shipment = await shipmentRepository.find(tx, orderId, { forUpdate: true });
  if (!shipment) {
    await shipmentRepository.recordCancelled(tx, orderId);
    return false;
  }
  if (shipment.status === 'CREATED') {
    await shipmentRepository.markCancelled(tx, orderId);
    return true;
  }
  // CANCELLED with a shipment id: a real shipment cancelled earlier. A marker or a rejection: nothing was shipped.
  return shipment.status === 'CANCELLED' && shipment.shipmentId !== null;
}
