import { randomBytes } from 'node:crypto';
import type { Queryable } from '@shop/db';
import { shipmentRepository, type RejectionReason, type Shipment, type ShipmentRequest } from '../data-access/shipment-repository';

export type ShipmentOutcome = { created: true; shipmentId: string } | { created: false; reason: RejectionReason; detail: string };

/**
 * Creates the order's shipment unless no carrier serves its country. The outcome is stored with
 * the order id, so asking again gives the same answer and never a second shipment; an order
 * cancelled before (its compensation overtook this command) is refused. Should a cancel insert
 * its marker concurrently, the primary key fails this transaction and the retry sees the marker.
 */
export async function createShipment(
  tx: Queryable,
  request: ShipmentRequest,
  unservedCountries: readonly string[],
): Promise<ShipmentOutcome> {
  const earlier = await shipmentRepository.find(tx, request.orderId, { forUpdate: true });
  if (earlier) return outcomeOf(earlier);

  const { country } = request.address;
  if (unservedCountries.includes(country)) {
    const detail = `no carrier serves ${country}`;
    await shipmentRepository.recordRejected(tx, request, 'unserved-country', detail);
    return { created: false, reason: 'unserved-country', detail };
  }
  const shipmentId = `shp_${randomBytes(12).toString('hex')}`;
  await shipmentRepository.recordCreated(tx, request, shipmentId);
  return { created: true, shipmentId };
}

function outcomeOf(shipment: Shipment): ShipmentOutcome {
  switch (shipment.status) {
    case 'CREATED':
      return { created: true, shipmentId: shipment.shipmentId ?? '' };
    case 'REJECTED':
      return { created: false, reason: shipment.reason ?? 'unserved-country', detail: shipment.detail ?? '' };
    case 'CANCELLED':
      return { created: false, reason: 'order-cancelled', detail: 'the order was cancelled; its shipment is not created again' };
  }
}
