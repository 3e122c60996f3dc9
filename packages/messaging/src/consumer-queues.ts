import type { Channel } from 'amqplib';
import { QueueNames } from '@shop/contracts';
import type { MessageHandler } from './message-handler';

export interface ConsumerQueues {
  queue: string;
  handlers: Iterable<MessageHandler>;
  retryDelaysMs: readonly number[];
  deliveryLimit: number;
}

/**
 * Declares a consumer's own objects (run again on every connection): its park exchange, its work
 * queue (quorum, with a delivery limit), one retry queue per delay and its dead-letter queue, the
 * park exchange's bindings to each of them, and the work queue's bindings to the routing keys of
 * its handlers' contracts on the shared exchanges (which must exist: see checkExchanges).
 * Nothing here routes through the default exchange, so the service needs no permission on it.
 */
export async function declareConsumerQueues(
  channel: Channel,
  { queue, handlers, retryDelaysMs, deliveryLimit }: ConsumerQueues,
): Promise<void> {
  const deadLetter = QueueNames.deadLetter(queue);
  const park = QueueNames.park(queue);
  const contracts = [...handlers].map((handler) => handler.contract);
  await channel.assertExchange(park, 'direct', { durable: true });
  await channel.assertQueue(deadLetter, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': deliveryLimit,
      // Over the delivery limit the broker itself dead-letters, to the same place we do.
      'x-dead-letter-exchange': park,
      'x-dead-letter-routing-key': deadLetter,
    },
  });
  const retryQueues = [...new Set(retryDelaysMs)].map((delayMs) => ({ name: QueueNames.retry(queue, delayMs), delayMs }));
  for (const { name, delayMs } of retryQueues) {
    // Classic queues: per-message TTL (our jitter) is long established there. Expired messages
    // go back to the work queue through the park exchange, so only this consumer sees them.
    await channel.assertQueue(name, {
      durable: true,
      arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': park, 'x-dead-letter-routing-key': queue },
    });
  }
  for (const own of [queue, deadLetter, ...retryQueues.map(({ name }) => name)]) await channel.bindQueue(own, park, own);
  for (const contract of contracts) await channel.bindQueue(queue, contract.exchange, contract.routingKey);
}
