import type { ConsumeMessage } from 'amqplib';
import type { Broker } from './broker';
import { Headers, QueueNames } from './headers';
import type { OutgoingMessage } from './publish-with-confirms';

/**
 * Re-publishes a delivery to one of its queue's retry queues (with the next attempt number and a
 * jittered delay) or to its dead-letter queue, with the reason and the original routing in
 * headers, and waits for the broker's confirm. The caller acks the delivery afterwards.
 */
export async function parkDelivery(
  broker: Broker,
  delivery: ConsumeMessage,
  park: { queue: string; attempt: number; reason: string; to: 'retry' | 'dead-letter'; retryDelaysMs: readonly number[] },
): Promise<void> {
  const { queue, attempt, reason, to, retryDelaysMs } = park;
  const headers: Record<string, unknown> = {
    ...delivery.properties.headers,
    [Headers.originalExchange]: delivery.properties.headers?.[Headers.originalExchange] ?? delivery.fields.exchange,
    [Headers.originalRoutingKey]: delivery.properties.headers?.[Headers.originalRoutingKey] ?? delivery.fields.routingKey,
    [Headers.consumer]: queue,
    [Headers.error]: reason.slice(0, 2_000),
    [Headers.failedAt]: new Date().toISOString(),
  };
  delete headers['x-death'];
  const outgoing: OutgoingMessage = {
    exchange: '',
    routingKey: '',
    body: delivery.content,
    messageId: String(delivery.properties.messageId ?? ''),
    type: String(delivery.properties.type ?? ''),
    correlationId: delivery.properties.correlationId as string | undefined,
    headers,
    mandatory: true,
  };
  if (to === 'retry') {
    const delayMs = retryDelaysMs[attempt - 1] ?? retryDelaysMs[retryDelaysMs.length - 1] ?? 1_000;
    outgoing.routingKey = QueueNames.retry(queue, delayMs);
    headers[Headers.attempt] = attempt + 1;
    // Jitter between half and all of the step's delay spreads a burst of failures apart.
    outgoing.expirationMs = delayMs * (0.5 + Math.random() / 2);
  } else {
    outgoing.routingKey = QueueNames.deadLetter(queue);
    headers[Headers.attempt] = attempt;
  }
  const unroutable = await broker.publish([outgoing]);
  if (unroutable.size > 0) throw new Error(`queue ${outgoing.routingKey} does not exist`);
}

export function readAttempt(delivery: ConsumeMessage): number {
  const value = Number(delivery.properties.headers?.[Headers.attempt] ?? 1);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}
