import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@shop/logger';

/** A message ready for the wire: the outbox relay, retries and dead-lettering all publish these. */
export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
  messageId: string;
  type: string;
  correlationId?: string;
  headers: Record<string, unknown>;
  /** Per-message TTL in ms, used by the retry queues for jitter. */
  expirationMs?: number;
  /** Ask the broker to return the message when no queue is bound for it. */
  mandatory?: boolean;
}

/**
 * Publishes persistent messages on a confirm channel and resolves once the broker confirmed every
 * one of them, with the ids of mandatory messages it returned as unroutable. Rejects when any is
 * nacked.
 */
export async function publishWithConfirms(
  channel: ConfirmChannel,
  messages: readonly OutgoingMessage[],
  { appId, logger }: { appId: string; logger: Logger },
): Promise<Set<string>> {
  const returned = new Set<string>();
  // basic.return arrives before the confirm of the same message, so by the time every confirm is
  // in, `returned` is complete.
  const onReturn = (message: ConsumeMessage) => {
    if (typeof message.properties.messageId === 'string') returned.add(message.properties.messageId);
  };
  channel.on('return', onReturn);
  const confirms: Promise<void>[] = [];
  for (const message of messages) {
    confirms.push(
      new Promise<void>((resolve, reject) => {
        const ok = channel.publish(
          message.exchange,
          message.routingKey,
          message.body,
          {
            persistent: true,
            mandatory: message.mandatory ?? false,
            contentType: 'application/json',
            messageId: message.messageId,
            type: message.type,
            correlationId: message.correlationId,
            timestamp: Math.floor(Date.now() / 1000),
            appId,
            headers: message.headers,
            expiration: message.expirationMs === undefined ? undefined : String(Math.max(0, Math.round(message.expirationMs))),
          },
          (error: unknown) => (error ? reject(error instanceof Error ? error : new Error('message nacked by the broker')) : resolve()),
        );
        if (!ok) logger.debug('publish buffer full; waiting for confirms to drain it');
      }),
    );
  }
  try {
    await Promise.all(confirms);
  } finally {
    channel.off('return', onReturn);
  }
  return returned;
}
