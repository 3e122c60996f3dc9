import { queueOf, queueOfCommand } from '@shop/catalog';
import { QueueNames, type MessageContract } from '@shop/contracts';
import type { Broker } from '@shop/messaging';

/**
 * Whether the answer to a command may still be on its way rather than missing (decision 0013):
 * messages wait in the participant's queue or its retry queues (named by `retryDelaysMs`, which the
 * participants share unless configured apart), so it is behind, paused or restarting; or replies
 * wait in this service's own reply queue, so the answer may be among them and it is the
 * orchestrator that is behind, as under a spike, when the replies pile up in front of it.
 */
export function sagaBacklog(broker: Broker, retryDelaysMs: readonly number[]) {
  const replies = queueOf('order');
  return async (command: MessageContract): Promise<boolean> => {
    const queue = queueOfCommand(command);
    if (queue === undefined) return false;
    const retries = retryDelaysMs.map((delayMs) => broker.readyMessages(QueueNames.retry(queue, delayMs)).catch(() => 0));
    const waiting = await Promise.all([broker.readyMessages(queue), broker.readyMessages(replies), ...retries]);
    return waiting.some((count) => count > 0);
  };
}
