import { warehouse } from '@shop/contracts';
import { on, type MessageHandler } from '@shop/messaging';
import { injectFaults, type FaultSettings } from '@shop/runtime';
import { cancelShipment } from '../../domain/cancel-shipment-use-case';
import { createShipment } from '../../domain/create-shipment-use-case';

/** What happens when warehouse.create-shipment or warehouse.cancel-shipment arrives. */
export function warehouseCommandHandlers(unservedCountries: readonly string[], faults: FaultSettings): MessageHandler[] {
  return [
    on(warehouse.CreateShipment, async ({ message, tx, send }) => {
      await injectFaults(faults, 'warehouse');
      const { orderId } = message.data;
      const outcome = await createShipment(tx, message.data, unservedCountries);
      if (outcome.created) await send(warehouse.ShipmentCreated, { orderId, shipmentId: outcome.shipmentId });
      else await send(warehouse.ShipmentRejected, { orderId, reason: outcome.reason, detail: outcome.detail });
    }),
    on(warehouse.CancelShipment, async ({ message, tx, send }) => {
      await injectFaults(faults, 'warehouse');
      const { orderId } = message.data;
      const cancelled = await cancelShipment(tx, orderId);
      await send(warehouse.ShipmentCancelled, { orderId, cancelled });
    }),
  ];
}
