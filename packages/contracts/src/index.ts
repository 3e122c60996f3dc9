import * as inventory from './inventory';
import * as order from './order';
import * as payment from './payment';
import * as warehouse from './warehouse';
import { ConsumerQueues, type MessageContract } from './message-contract';

export * from './message-contract';
export * from './shared-schemas';
export { inventory, payment, warehouse, order };

const commandQueues = new Map<string, string>(
  (
    [
      [inventory, ConsumerQueues.inventoryCommands],
      [payment, ConsumerQueues.paymentCommands],
      [warehouse, ConsumerQueues.warehouseCommands],
    ] as const
  ).flatMap(([module, queue]) =>
    Object.values(module as Record<string, MessageContract>)
      .filter((contract) => contract.kind === 'command')
      .map((contract) => [contract.type, queue] as const),
  ),
);

/** The queue a command is consumed from: the commands queue of the participant it is for. */
export function queueOfCommand(command: MessageContract): string | undefined {
  return commandQueues.get(command.type);
}
