import type { Queryable } from '@shop/db';
import { paymentRepository } from '../data-access/payment-repository';

/**
 * Locks the orders a batch of charge and refund commands is about, and reads their payments, in
 * two statements instead of two per command. The use cases then find them locked, in memory, and
 * each sees what the commands before it in the batch did.
 */
export async function lockCommandBatch(tx: Queryable, commands: ReadonlyArray<{ orderId: string }>): Promise<void> {
  await paymentRepository.lockMany(
    tx,
    commands.map((command) => command.orderId),
  );
}
