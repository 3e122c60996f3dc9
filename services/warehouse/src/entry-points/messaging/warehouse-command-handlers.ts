import { warehouse } from '@shop/contracts';
import { on, type Envelope, type MessageHandler } from '@shop/messaging';
import type { PoolClient } from '@shop/db';
import { cancelShipment } from '../../domain/cancel-shipment-use-case';
import { createShipment } from '../../domain/create-shipment-use-case';
import { lockCommandBatch } from '../../domain/lock-command-batch';

/** Before any handler of a batch runs: its messages passed their contracts, so each has an orderId. */
const lockShipments = (tx: PoolClient, messages: readonly Envelope[]) => lockCommandBatch(tx, messages.map((message) => message.data as { orderId: string }));

/** What happens when warehouse.create-shipment or warehouse.cancel-shipment arrives. */
export function warehouseCommandHandlers(unservedCountries: readonly string[]): MessageHandler[] {
  return [
    on(warehouse.CreateShipment, async ({ message, tx, send }) => {
      const { orderId } = message.data;
      const outcome = await createShipment(tx, message.data, unservedCountries);
      if (outcome.created) await send(warehouse.ShipmentCreated, { orderId, shipmentId: outcome.shipmentId });
      else await send(warehouse.ShipmentRejected, { orderId, reason: outcome.reason, detail: outcome.detail });
    }, { prepare: lockShipments }),
    on(warehouse.CancelShipment, async ({ message, tx, send }) => {
      const { orderId } = message.data;
      const cancelled = await cancelShipment(tx, orderId);
      await send(warehouse.ShipmentCancelled, { orderId, cancelled });
    }, { prepare: lockShipments }),
  ];
}
