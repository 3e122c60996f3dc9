import { z } from 'zod';
import { command, reply } from './message-contract';
import { orderId, orderItem, shippingAddress } from './shared-schemas';

export const CreateShipment = command(
  'warehouse.create-shipment',
  z.object({ orderId, address: shippingAddress, items: z.array(orderItem).min(1) }),
);
export const ShipmentCreated = reply('warehouse.shipment-created', z.object({ orderId, shipmentId: z.string() }));
export const ShipmentRejected = reply(
  'warehouse.shipment-rejected',
  z.object({ orderId, reason: z.enum(['unserved-country', 'order-cancelled']), detail: z.string() }),
);

/** Compensation: cancel the shipment. Safe for an order never shipped. */
export const CancelShipment = command('warehouse.cancel-shipment', z.object({ orderId }));
export const ShipmentCancelled = reply('warehouse.shipment-cancelled', z.object({ orderId, cancelled: z.boolean() }));
