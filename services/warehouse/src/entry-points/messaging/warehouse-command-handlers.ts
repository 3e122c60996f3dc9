import { warehouse } from '@shop/contracts';
import { on, type Envelope, type MessageHandler } from '@shop/messaging';
import type { PoolClient } from '@shop/db';
import { shipmentRepository } from '../../data-access/shipment-repository';
import { cancelShipment } from '../../domain/cancel-shipment-use-case';
import { createShipment } from '../../domain/create-shipment-use-case';

/**
 * Before any handler of a batch runs, locks its orders' shipments in one statement; the use cases
 * then find them in memory, each seeing what the commands before it did. The messages passed
 * their contracts, so each has an orderId.
 */
async function lockShipments(tx: PoolClient, messages: readonly Envelope[]): Promise<void> {
  await shipmentRepository.lockMany(
    tx,
    messages.map((message) => (message.data as { orderId: string }).orderId),
  );
}

/** What happens when warehouse.create-shipment or warehouse.cancel-shipment arrives. */
export function warehouseCommandHandlers(unservedCountries: readonly string[]): MessageHandler[] {
  return [
    on(
      warehouse.CreateShipment,
      async ({ message, tx, send }) => {
        const { orderId } = message.data;
        const outcome = await createShipment(tx, message.data, unservedCountries);
        if (outcome.created) await send(warehouse.ShipmentCreated, { orderId, shipmentId: outcome.shipmentId });
        else await send(warehouse.ShipmentRejected, { orderId, reason: outcome.reason, detail: outcome.detail });
      },
      { prepare: lockShipments },
    ),
    on(
      warehouse.CancelShipment,
      async ({ message, tx, send }) => {
        const { orderId } = message.data;
        const cancelled = await cancelShipment(tx, orderId);
        await send(warehouse.ShipmentCancelled, { orderId, cancelled });
      },
      { prepare: lockShipments },
    ),
  ];
}
