import type { Channel, ConsumeMessage } from 'amqplib';
import type { MessageContract, PayloadOf } from '@shop/contracts';
import { withTransaction, type Pool, type PoolClient } from '@shop/db';
import type { Logger } from '@shop/logger';
import type { Broker, OutgoingMessage } from './broker';
import { envelopeSchema, type Envelope, type MessageMeta } from './envelope';
import { PermanentError } from './errors';
import { Headers, QueueNames } from './headers';
import type { Outbox } from './outbox';
import { traceConsumedMessage } from './telemetry';

export interface HandlerContext<T> {
  message: Envelope<T>;
  /** The transaction that also records the message in the inbox: effects commit with it or not at all. */
  tx: PoolClient;
  attempt: number;
  logger: Logger;
  /** Sends a message caused by this one, through the outbox, in the same transaction. */
  send<C extends MessageContract>(contract: C, data: PayloadOf<C>, meta?: Partial<MessageMeta>): Promise<Envelope<PayloadOf<C>>>;
}

export interface MessageHandler {
  contract: MessageContract;
  handle(context: HandlerContext<unknown>): Promise<void>;
}

/** Pairs a contract with its handler, typed by the contract's schema. */
export function on<C extends MessageContract>(contract: C, handle: (context: HandlerContext<PayloadOf<C>>) => Promise<void>): MessageHandler {
  return { contract, handle: handle as (context: HandlerContext<unknown>) => Promise<void> };
}

export interface ConsumerOptions {
  /** Name it after what it does: `inventory.commands`, `email.on-order-outcome`. */
  queue: string;
  handlers: readonly MessageHandler[];
  /** One delay per retry; attempts in all = delays + 1. */
  retryDelaysMs: readonly number[];
  /** Quorum queue delivery limit: a message that keeps killing its consumer ends in the dead-letter queue. */
  deliveryLimit?: number;
}

export interface ConsumerDependencies {
  broker: Broker;
  outbox: Outbox;
  pool: Pool;
  logger: Logger;
}

type Outcome = { kind: 'handled' } | { kind: 'duplicate' } | { kind: 'retry'; error: unknown } | { kind: 'dead-letter'; reason: string };

/**
 * A consumer with an inbox: each message is validated against its contract, recorded by id in the
 * same transaction as its effects and acked only after the commit, so a redelivery changes nothing.
 * Transient failures are retried through delay queues with jittered backoff; permanent ones and
 * the last failed attempt go to the queue's dead-letter queue with the reason in headers.
 */
export class InboxConsumer {
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(
    private readonly deps: ConsumerDependencies,
    private readonly options: ConsumerOptions,
  ) {
    for (const handler of options.handlers) this.handlers.set(handler.contract.type, handler);
    this.log = deps.logger.child({ queue: options.queue });
    deps.broker.addTopology((channel) => this.declare(channel));
    deps.broker.subscribe(options.queue, (message, channel) => this.track(this.onDelivery(message, channel)));
  }

  get queue(): string {
    return this.options.queue;
  }

  /** Resolves when every message taken so far is settled (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  private async declare(channel: Channel): Promise<void> {
    const { queue, retryDelaysMs, deliveryLimit = 20 } = this.options;
    const deadLetter = QueueNames.deadLetter(queue);
    for (const exchange of new Set([...this.handlers.values()].map((h) => h.contract.exchange))) {
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
    for (const handler of this.handlers.values()) {
      await channel.bindQueue(queue, handler.contract.exchange, handler.contract.routingKey);
    }
  }

  private async onDelivery(delivery: ConsumeMessage, channel: Channel): Promise<void> {
    const attempt = readAttempt(delivery);
    const outcome = await this.process(delivery, attempt);
    try {
      switch (outcome.kind) {
        case 'handled':
        case 'duplicate':
          break;
        case 'retry':
          if (attempt <= this.options.retryDelaysMs.length) {
            await this.republish(delivery, attempt, describe(outcome.error), 'retry');
          } else {
            this.log.error({ err: outcome.error, attempt, messageId: delivery.properties.messageId }, 'giving up after the last attempt');
            await this.republish(delivery, attempt, `failed after ${attempt} attempts: ${describe(outcome.error)}`, 'dead-letter');
          }
          break;
        case 'dead-letter':
          this.log.warn({ reason: outcome.reason, messageId: delivery.properties.messageId }, 'message dead-lettered');
          await this.republish(delivery, attempt, outcome.reason, 'dead-letter');
          break;
      }
      channel.ack(delivery);
    } catch (error) {
      // Could not park or ack (broker trouble). Reject so it is redelivered: the inbox makes the
      // redelivery harmless, and reject counts toward the quorum queue's delivery limit.
      this.log.warn({ err: error }, 'could not settle message; rejecting for redelivery');
      try {
        channel.reject(delivery, true);
      } catch {
        // channel already closed: the broker redelivers anyway
      }
    }
  }

  private async process(delivery: ConsumeMessage, attempt: number): Promise<Outcome> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(delivery.content.toString('utf8'));
    } catch (error) {
      return { kind: 'dead-letter', reason: `unparseable body: ${describe(error)}` };
    }
    const envelope = envelopeSchema.safeParse(parsed);
    if (!envelope.success) return { kind: 'dead-letter', reason: `malformed envelope: ${summarize(envelope.error.issues)}` };
    const handler = this.handlers.get(envelope.data.type);
    if (!handler) return { kind: 'dead-letter', reason: `unknown message type ${JSON.stringify(envelope.data.type)}` };
    if (envelope.data.version > handler.contract.version) {
      return { kind: 'dead-letter', reason: `unsupported version ${envelope.data.version} of ${handler.contract.type}` };
    }
    const data = handler.contract.schema.safeParse(envelope.data.data);
    if (!data.success) return { kind: 'dead-letter', reason: `schema violation in ${handler.contract.type}: ${summarize(data.error.issues)}` };
    const message: Envelope = { ...envelope.data, data: data.data };

    const routingKey = String(delivery.properties.headers?.[Headers.originalRoutingKey] ?? delivery.fields.routingKey);
    return traceConsumedMessage(message, delivery.properties.headers, this.options.queue, routingKey, async (span) => {
      span.setAttribute('messaging.consumer.attempt', attempt);
      try {
        const duplicate = await withTransaction(this.deps.pool, async (tx) => {
          const inserted = await tx.query('INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
            this.options.queue,
            message.id,
          ]);
          if (inserted.rowCount === 0) return true;
          await handler.handle(this.context(message, tx, attempt));
          return false;
        });
        if (duplicate) {
          span.setAttribute('messaging.duplicate', true);
          this.log.debug({ messageId: message.id, type: message.type }, 'duplicate message ignored');
          return { kind: 'duplicate' };
        }
        this.deps.outbox.wake();
        return { kind: 'handled' };
      } catch (error) {
        if (error instanceof PermanentError) return { kind: 'dead-letter', reason: error.message };
        this.log.warn({ err: error, messageId: message.id, type: message.type, attempt }, 'handler failed; will retry');
        return { kind: 'retry', error };
      }
    });
  }

  private context(message: Envelope, tx: PoolClient, attempt: number): HandlerContext<unknown> {
    const outbox = this.deps.outbox;
    return {
      message,
      tx,
      attempt,
      logger: this.log.child({ messageId: message.id, type: message.type, correlationId: message.correlationId }),
      send: (contract, data, meta) =>
        outbox.enqueue(tx, contract, data, { correlationId: message.correlationId, causationId: message.id, ...meta }),
    };
  }

  /** Re-publishes the delivery to a retry queue or to the dead-letter queue, waiting for the confirm. */
  private async republish(delivery: ConsumeMessage, attempt: number, reason: string, to: 'retry' | 'dead-letter'): Promise<void> {
    const { queue, retryDelaysMs } = this.options;
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
    const unroutable = await this.deps.broker.publish([outgoing]);
    if (unroutable.size > 0) throw new Error(`queue ${outgoing.routingKey} does not exist`);
  }
}

function readAttempt(delivery: ConsumeMessage): number {
  const value = Number(delivery.properties.headers?.[Headers.attempt] ?? 1);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function summarize(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
