import { context as otelContext, type Context, type Span } from '@opentelemetry/api';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { MessageContract, PayloadOf } from '@shop/contracts';
import type { PoolClient } from '@shop/db';
import type { Logger } from '@shop/logger';
import type { Broker, OutgoingMessage } from './broker';
import { envelopeSchema, type Envelope, type MessageMeta } from './envelope';
import { PermanentError } from './errors';
import { Headers, QueueNames } from './headers';
import type { Outbox } from './outbox';
import { recordFailure, startConsumerSpan, traceConsumedMessage } from './telemetry';

export interface HandlerContext<T> {
  message: Envelope<T>;
  /** The transaction that also records the message in the inbox: effects commit with it or not at all. */
  tx: PoolClient;
  attempt: number;
  logger: Logger;
  /** Sends a message caused by this one, through the outbox, in the same transaction. */
  send<C extends MessageContract>(contract: C, data: PayloadOf<C>, meta?: Partial<MessageMeta>): Promise<Envelope<PayloadOf<C>>>;
  /**
   * Fails this message without rolling back the rest of its batch: the transaction still commits,
   * without this message's inbox row, and the message is retried (or dead-lettered, for a
   * PermanentError) like one whose handler threw. For a handler with an effect outside the
   * database (an email sent), where a rolled-back batch would repeat the effects of its other
   * messages. The handler must have undone its own writes first, and should return right after.
   */
  failAlone(error: unknown): void;
}

/**
 * Called once per transaction (a batch, or a single message), before any of its messages is
 * handled, with those that are not duplicates: e.g. to lock all their rows in one statement.
 */
export type PrepareBatch = (tx: PoolClient, messages: readonly Envelope[]) => Promise<void>;

export interface MessageHandler {
  contract: MessageContract;
  handle(context: HandlerContext<unknown>): Promise<void>;
  /** Handlers sharing one prepare function get one call with all their messages of the batch. */
  prepare?: PrepareBatch;
}

/** Pairs a contract with its handler, typed by the contract's schema. */
export function on<C extends MessageContract>(
  contract: C,
  handle: (context: HandlerContext<PayloadOf<C>>) => Promise<void>,
  options: { prepare?: PrepareBatch } = {},
): MessageHandler {
  return { contract, handle: handle as (context: HandlerContext<unknown>) => Promise<void>, prepare: options.prepare };
}

export interface ConsumerOptions {
  /** Name it after what it does: `inventory.commands`, `email.on-order-outcome`. */
  queue: string;
  handlers: readonly MessageHandler[];
  /** One delay per retry; attempts in all = delays + 1. */
  retryDelaysMs: readonly number[];
  /** Quorum queue delivery limit: a message that keeps killing its consumer ends in the dead-letter queue. */
  deliveryLimit?: number;
  /**
   * Most messages handled in one transaction (default 1). Messages that arrive while a batch is
   * being handled form the next one, so batches grow with the load and stay at one message when
   * it is light. A batch that fails is handled again one message at a time, which would repeat
   * effects outside the database (SMTP): such handlers report their failures with `failAlone`
   * instead of throwing, or keep it at 1.
   */
  batchSize?: number;
  /** Batches handled at once (default 1). Each holds one database connection. */
  concurrency?: number;
}

export interface ConsumerDependencies {
  broker: Broker;
  /** Its pool runs the consumer's transactions too. */
  outbox: Outbox;
  logger: Logger;
}

type Outcome = { kind: 'handled' } | { kind: 'duplicate' } | { kind: 'retry'; error: unknown } | { kind: 'dead-letter'; reason: string };

/** What became of one message of a committed transaction. */
type Handled = { kind: 'handled' } | { kind: 'duplicate' } | { kind: 'failed'; error: unknown };

interface Delivery {
  delivery: ConsumeMessage;
  channel: Channel;
  attempt: number;
}

/** A delivery that passed validation: its envelope, typed data and handler. */
interface Accepted extends Delivery {
  message: Envelope;
  handler: MessageHandler;
  routingKey: string;
}

/**
 * A consumer with an inbox: each message is validated against its contract, recorded by id in the
 * same transaction as its effects and acked only after the commit, so a redelivery changes nothing.
 * Transient failures are retried through delay queues with jittered backoff; permanent ones and
 * the last failed attempt go to the queue's dead-letter queue with the reason in headers.
 */
export class InboxConsumer {
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: Delivery[] = [];
  private activeWorkers = 0;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly log: Logger;

  constructor(
    private readonly deps: ConsumerDependencies,
    private readonly options: ConsumerOptions,
  ) {
    for (const handler of options.handlers) this.handlers.set(handler.contract.type, handler);
    this.batchSize = Math.max(1, options.batchSize ?? 1);
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.log = deps.logger.child({ queue: options.queue });
    deps.broker.addTopology((channel) => this.declare(channel));
    deps.broker.subscribe(options.queue, (delivery, channel) => {
      this.waiting.push({ delivery, channel, attempt: readAttempt(delivery) });
      this.startWorkers();
    });
  }

  get queue(): string {
    return this.options.queue;
  }

  /** Resolves when every message taken so far is settled (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private startWorkers(): void {
    while (this.activeWorkers < this.concurrency && this.waiting.length > 0) {
      this.activeWorkers += 1;
      const work = this.work();
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }
  }

  /** Takes what has arrived, up to a batch, until nothing is waiting. */
  private async work(): Promise<void> {
    try {
      for (;;) {
        const batch = this.waiting.splice(0, this.batchSize);
        if (batch.length === 0) return;
        await this.handleBatch(batch).catch((error: unknown) => {
          // Not expected: every path settles its messages. Unsettled ones come back on reconnect.
          this.log.error({ err: error }, 'batch handling failed unexpectedly');
        });
      }
    } finally {
      this.activeWorkers -= 1;
    }
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

  /**
   * Malformed messages are dead-lettered on their own; the rest are handled in one transaction.
   * If that transaction fails, nothing of it happened, and each message is handled again alone,
   * so one bad message cannot hold back the others and retries and dead letters stay per message.
   */
  private async handleBatch(batch: Delivery[]): Promise<void> {
    const accepted: Accepted[] = [];
    for (const item of batch) {
      const checked = this.accept(item);
      if ('reason' in checked) await this.settle(item, { kind: 'dead-letter', reason: checked.reason });
      else accepted.push(checked);
    }
    if (accepted.length > 1) {
      const outcomes = await this.handleTogether(accepted).catch((error: unknown) => {
        this.log.debug({ err: error, size: accepted.length }, 'batch failed; handling its messages one at a time');
        return undefined;
      });
      if (outcomes) {
        for (const [index, item] of accepted.entries()) await this.settle(item, outcomes[index]!);
        return;
      }
    }
    for (const item of accepted) await this.settle(item, await this.handleAlone(item));
  }

  /** Acks, or parks in a retry or dead-letter queue and then acks. */
  private async settle({ delivery, channel, attempt }: Delivery, outcome: Outcome): Promise<void> {
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

  /** Checks the body against the envelope and the contract of its type; a failure names the reason. */
  private accept(item: Delivery): Accepted | { reason: string } {
    const { delivery } = item;
    let parsed: unknown;
    try {
      parsed = JSON.parse(delivery.content.toString('utf8'));
    } catch (error) {
      return { reason: `unparseable body: ${describe(error)}` };
    }
    const envelope = envelopeSchema.safeParse(parsed);
    if (!envelope.success) return { reason: `malformed envelope: ${summarize(envelope.error.issues)}` };
    const handler = this.handlers.get(envelope.data.type);
    if (!handler) return { reason: `unknown message type ${JSON.stringify(envelope.data.type)}` };
    if (envelope.data.version > handler.contract.version) {
      return { reason: `unsupported version ${envelope.data.version} of ${handler.contract.type}` };
    }
    const data = handler.contract.schema.safeParse(envelope.data.data);
    if (!data.success) return { reason: `schema violation in ${handler.contract.type}: ${summarize(data.error.issues)}` };
    const routingKey = String(delivery.properties.headers?.[Headers.originalRoutingKey] ?? delivery.fields.routingKey);
    return { ...item, message: { ...envelope.data, data: data.data }, handler, routingKey };
  }

  /** One message, one transaction: the inbox row and the handler's effects commit together. */
  private handleAlone(item: Accepted): Promise<Outcome> {
    const { message, delivery, attempt, routingKey } = item;
    return traceConsumedMessage(message, delivery.properties.headers, this.options.queue, routingKey, async (span) => {
      span.setAttribute('messaging.consumer.attempt', attempt);
      try {
        const [handled] = await this.inTransaction([item], [otelContext.active()]);
        return this.outcome(item, handled!, span);
      } catch (error) {
        recordFailure(span, error);
        return this.failed(item, error);
      }
    });
  }

  /** The outcome of a message whose transaction committed; a failed one is also recorded on its span. */
  private outcome(item: Accepted, handled: Handled, span: Span): Outcome {
    if (handled.kind === 'failed') {
      recordFailure(span, handled.error);
      return this.failed(item, handled.error);
    }
    if (handled.kind === 'duplicate') {
      span.setAttribute('messaging.duplicate', true);
      this.log.debug({ messageId: item.message.id, type: item.message.type }, 'duplicate message ignored');
    }
    return handled;
  }

  private failed({ message, attempt }: Accepted, error: unknown): Outcome {
    if (error instanceof PermanentError) return { kind: 'dead-letter', reason: error.message };
    this.log.warn({ err: error, messageId: message.id, type: message.type, attempt }, 'handler failed; will retry');
    return { kind: 'retry', error };
  }

  /**
   * Many messages, one transaction, each handler in its own consumer span. Throws if the
   * transaction fails (all of it rolled back); a message failed alone gets an outcome of its own.
   */
  private async handleTogether(batch: Accepted[]): Promise<Outcome[]> {
    const spans = batch.map((item) => {
      const traced = startConsumerSpan(item.message, item.delivery.properties.headers, this.options.queue, item.routingKey);
      traced.span.setAttributes({ 'messaging.consumer.attempt': item.attempt, 'messaging.batch.message_count': batch.length });
      return traced;
    });
    try {
      const handled = await this.inTransaction(batch, spans.map((traced) => traced.context));
      return handled.map((result, index) => this.outcome(batch[index]!, result, spans[index]!.span));
    } catch (error) {
      for (const { span } of spans) span.addEvent('batch rolled back; the message is handled again on its own', { 'exception.message': describe(error) });
      throw error;
    } finally {
      for (const { span } of spans) span.end();
    }
  }

  /**
   * The inbox rows of `batch` (one insert; RETURNING tells the duplicates apart), the handlers'
   * prepare calls, then each new message's handler in its own trace context, all in one
   * transaction, which wakes the outbox relay if a handler enqueued a message. The inbox rows of
   * messages failed alone are taken out again before the commit. Returns what became of each.
   */
  private inTransaction(batch: Accepted[], contexts: Context[]): Promise<Handled[]> {
    return this.deps.outbox.transaction(async (tx) => {
      const { rows } = await tx.query<{ message_id: string }>(
        'INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING message_id',
        [this.options.queue, batch.map((item) => item.message.id)],
      );
      const unseen = new Set(rows.map((row) => row.message_id));
      // A message delivered twice in one batch is handled by its first copy only.
      const fresh = batch.map((item) => unseen.delete(item.message.id));
      const todo = batch.filter((_, index) => fresh[index]);
      const prepares = new Map<PrepareBatch, Envelope[]>();
      for (const { handler, message } of todo) {
        if (!handler.prepare) continue;
        const messages = prepares.get(handler.prepare);
        if (messages) messages.push(message);
        else prepares.set(handler.prepare, [message]);
      }
      for (const [prepare, messages] of prepares) await prepare(tx, messages);
      const handled: Handled[] = [];
      for (const [index, item] of batch.entries()) {
        if (!fresh[index]) {
          handled.push({ kind: 'duplicate' });
          continue;
        }
        let failure: { error: unknown } | undefined;
        const failAlone = (error: unknown) => {
          failure ??= { error };
        };
        await otelContext.with(contexts[index]!, () => item.handler.handle(this.handlerContext(item.message, tx, item.attempt, failAlone)));
        handled.push(failure ? { kind: 'failed', error: failure.error } : { kind: 'handled' });
      }
      const failedIds = batch.filter((_, index) => handled[index]!.kind === 'failed').map((item) => item.message.id);
      if (failedIds.length > 0) {
        await tx.query('DELETE FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])', [this.options.queue, failedIds]);
      }
      return handled;
    });
  }

  private handlerContext(message: Envelope, tx: PoolClient, attempt: number, failAlone: (error: unknown) => void): HandlerContext<unknown> {
    const outbox = this.deps.outbox;
    const log = this.log;
    let logger: Logger | undefined;
    return {
      message,
      tx,
      attempt,
      // Made on first use: most handlers log nothing at the usual levels, and a child logger per
      // message would be allocated for nothing.
      get logger() {
        return (logger ??= log.child({ messageId: message.id, type: message.type, correlationId: message.correlationId }));
      },
      send: (contract, data, meta) =>
        outbox.enqueue(tx, contract, data, { correlationId: message.correlationId, causationId: message.id, ...meta }),
      failAlone,
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
