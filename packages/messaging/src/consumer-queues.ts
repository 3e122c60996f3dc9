import type { Channel } from 'amqplib';
import { QueueNames } from './headers';
import type { MessageHandler } from './message-handler';

export interface ConsumerQueues {
  queue: string;
  handlers: Iterable<MessageHandler>;
  retryDelaysMs: readonly number[];
  deliveryLimit: number;
}

/**
 * Declares a consumer's queues (run again on every connection): its work queue (quorum, with a
 * delivery limit), one retry queue per delay, its dead-letter queue, and the bindings of the
 * work queue to the routing keys of its handlers' contracts.
 */
export async function declareConsumerQueues(
  channel: Channel,
  { queue, handlers, retryDelaysMs, deliveryLimit }: ConsumerQueues,
): Promise<void> {
  const deadLetter = QueueNames.deadLetter(queue);
  const contracts = [...handlers].map((handler) => handler.contract);
  for (const exchange of new Set(contracts.map((contract) => contract.exchange))) {
    await channel.assertExchange(exchange, 'topic', { durable: true });
  }
  await channel.assertQueue(deadLetter, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': deliveryLimit,
      // Over the delivery limit the broker itself dead-letters, to the same place we do.
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetter,
    },
  });
  for (const delayMs of new Set(retryDelaysMs)) {
    // Classic queues: per-message TTL (our jitter) is long established there. Expired messages
    // go back to the work queue through the default exchange, so only this consumer sees them.
    await channel.assertQueue(QueueNames.retry(queue, delayMs), {
      durable: true,
      arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
    });
  }
  for (const contract of contracts) await channel.bindQueue(queue, contract.exchange, contract.routingKey);
}
