import type { Queryable } from '@shop/db';
import { shipmentRepository } from '../data-access/shipment-repository';

/**
 * Locks the shipments a batch of create and cancel commands will touch, in one statement instead
 * of one per command. The use cases then find them locked, in memory, and each sees what the
 * commands before it in the batch did.
 */
export async function lockCommandBatch(tx: Queryable, commands: ReadonlyArray<{ orderId: string }>): Promise<void> {
  await shipmentRepository.lockMany(
    tx,
    commands.map((command) => command.orderId),
  );
}
