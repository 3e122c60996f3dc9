import type { ConsumeMessage } from 'amqplib';
import type { Broker } from './broker';
import { QueueNames } from '@shop/contracts';
import { Headers } from './headers';
import type { OutgoingMessage } from './publish-with-confirms';

/**
 * Re-publishes a delivery, through its queue's own park exchange, to one of the retry queues (with the next attempt number and a
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
    ...encodableHeaders(delivery.properties.headers),
    [Headers.originalExchange]: delivery.properties.headers?.[Headers.originalExchange] ?? delivery.fields.exchange,
    [Headers.originalRoutingKey]: delivery.properties.headers?.[Headers.originalRoutingKey] ?? delivery.fields.routingKey,
    [Headers.consumer]: queue,
    [Headers.error]: reason.slice(0, 2_000),
    [Headers.failedAt]: new Date().toISOString(),
  };
  delete headers['x-death'];
  const outgoing: OutgoingMessage = {
    exchange: QueueNames.park(queue),
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
  if (unroutable.size > 0) throw new Error(`queue ${outgoing.routingKey} is not bound to ${outgoing.exchange}`);
}

export function readAttempt(delivery: ConsumeMessage): number {
  const value = Number(delivery.properties.headers?.[Headers.attempt] ?? 1);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

/**
 * The delivery's headers in a form amqplib can publish again. amqplib decodes a double or an int64
 * to a plain number, and a timestamp or a table with a '!' key to `{ '!': type, value }`; encoding
 * those back, it takes an integral number for an int64 and throws when it is out of that range
 * (a double such as -1e19, sent by any publisher), and it reads `'!'` as a type name. So numbers
 * that are not safe integers go out as doubles, a timestamp or decimal only with a value in its
 * range, and any other object with a '!' key as a plain table.
 */
function encodableHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([key, value]) => [key, encodable(value)]));
}

function encodable(value: unknown): unknown {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) ? value : Number.isFinite(value) ? { '!': 'double', value } : String(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(encodable);
  if (typeof value !== 'object') return String(value);
  const table = value as Record<string, unknown>;
  if (Object.hasOwn(table, '!')) {
    const typed = table.value;
    if (table['!'] === 'timestamp' && Number.isSafeInteger(typed) && (typed as number) >= 0) return value;
    if (table['!'] === 'decimal' && isDecimal(typed)) return value;
    return { '!': 'object', value: encodableHeaders(table) };
  }
  return encodableHeaders(table);
}

function isDecimal(value: unknown): boolean {
  const { places, digits } = (value ?? {}) as { places?: unknown; digits?: unknown };
  return (
    Number.isInteger(places) &&
    (places as number) >= 0 &&
    (places as number) <= 0xff &&
    Number.isInteger(digits) &&
    (digits as number) >= 0 &&
    (digits as number) <= 0xffffffff
  );
}
