import { context as otelContext, type Context, type Span } from '@opentelemetry/api';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { PoolClient } from '@shop/db';
import type { Logger } from '@shop/logger';
import type { Broker } from './broker';
import type { Envelope } from './envelope';
import { PermanentError } from './errors';
import { QueueNames } from './headers';
import type { HandlerContext, MessageHandler, PrepareBatch } from './message-handler';
import { parkDelivery, readAttempt } from './message-parking';
import { describeError, validateDelivery, type ValidMessage } from './message-validation';
import type { Outbox } from './outbox';
import { recordFailure, startConsumerSpan } from './telemetry';

/**
 * Says when a consumer must stop taking messages: e.g. the circuit breaker of a dependency its
 * handlers call, open while the dependency fails (@shop/resilience's DependencyPolicy).
 */
export interface PauseSignal {
  readonly paused: boolean;
  onChange(listener: (paused: boolean) => void): void;
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
  /**
   * While it says paused, the consumer takes no deliveries (the messages wait in the queue, where
   * they burn no retries), and a message that fails meanwhile is put back in the queue instead of
   * being retried. Messages whose outside work is done are still recorded.
   */
  pauseWhen?: PauseSignal;
}

export interface ConsumerDependencies {
  broker: Broker;
  /** Its pool runs the consumer's transactions too. */
  outbox: Outbox;
  logger: Logger;
}

type Outcome =
  | { kind: 'handled' }
  | { kind: 'duplicate' }
  | { kind: 'retry'; error: unknown }
  | { kind: 'dead-letter'; reason: string }
  | { kind: 'put-back' };

/** What became of one message of a committed transaction. */
type Handled = { kind: 'handled' } | { kind: 'duplicate' } | { kind: 'failed'; error: unknown };

interface Delivery {
  delivery: ConsumeMessage;
  channel: Channel;
  attempt: number;
}

/** A delivery that passed validation, with its CONSUMER span (from arrival to settlement). */
interface Accepted extends Delivery, ValidMessage {
  span: Span;
  context: Context;
  /** The result of the handler's outside work, once done. */
  outside?: unknown;
}

/**
 * A consumer with an inbox: each message is validated against its contract, recorded by id in the
 * same transaction as its effects and acked only after the commit, so a redelivery changes nothing.
 * Transient failures are retried through delay queues with jittered backoff; permanent ones and
 * the last failed attempt go to the queue's dead-letter queue with the reason in headers.
 *
 * A message goes: arrival and validation, then its handler's outside work if it has any (calls
 * to remote systems, all messages' side by side), then a transaction shared with the messages
 * ready at the same time, then settlement (ack, or a retry or dead-letter queue, or back into
 * the queue while the consumer is paused).
 */
export class InboxConsumer {
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Messages ready for their transaction. */
  private readonly ready: Accepted[] = [];
  private activeWorkers = 0;
  private paused = false;
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
    this.paused = options.pauseWhen?.paused ?? false;
    deps.broker.subscribe(options.queue, (delivery, channel) => this.receive({ delivery, channel, attempt: readAttempt(delivery) }), {
      paused: this.paused,
    });
    options.pauseWhen?.onChange((paused) => this.setPaused(paused));
  }

  get queue(): string {
    return this.options.queue;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Resolves when every message taken so far is settled (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    const { broker } = this.deps;
    if (paused) this.log.warn('pausing: taking no messages until the dependency recovers');
    else this.log.info('resuming');
    void (paused ? broker.pause(this.options.queue) : broker.resume(this.options.queue)).catch((error: unknown) =>
      this.log.warn({ err: error }, paused ? 'could not stop consuming; messages that arrive are put back' : 'could not resume consuming'),
    );
  }

  private receive(item: Delivery): void {
    if (this.paused) {
      this.putBack(item);
      return;
    }
    const valid = validateDelivery(item.delivery, this.handlers);
    if ('reason' in valid) {
      this.track(this.settle(item, { kind: 'dead-letter', reason: valid.reason }));
      return;
    }
    const traced = startConsumerSpan(valid.message, item.delivery.properties.headers, this.options.queue, valid.routingKey);
    traced.span.setAttribute('messaging.consumer.attempt', item.attempt);
    const accepted: Accepted = { ...item, ...valid, ...traced };
    if (valid.handler.outside) this.track(this.runOutside(accepted, valid.handler.outside));
    else this.enqueue(accepted);
  }

  private async runOutside(item: Accepted, work: (message: Envelope) => Promise<unknown>): Promise<void> {
    try {
      item.outside = await otelContext.with(item.context, () => work(item.message));
    } catch (error) {
      await this.settle(item, this.failed(item, error));
      return;
    }
    this.enqueue(item);
  }

  private enqueue(item: Accepted): void {
    this.ready.push(item);
    while (this.activeWorkers < this.concurrency && this.ready.length > 0) {
      this.activeWorkers += 1;
      this.track(this.work());
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Takes what is ready, up to a batch, until nothing is. */
  private async work(): Promise<void> {
    try {
      for (;;) {
        const batch = this.ready.splice(0, this.batchSize);
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
   * The messages are handled in one transaction. If that transaction fails, nothing of it
   * happened, and each message is handled again alone, so one bad message cannot hold back the
   * others and retries and dead letters stay per message.
   */
  private async handleBatch(batch: Accepted[]): Promise<void> {
    if (batch.length > 1) {
      const outcomes = await this.handleTogether(batch).catch((error: unknown) => {
        this.log.debug({ err: error, size: batch.length }, 'batch failed; handling its messages one at a time');
        return undefined;
      });
      if (outcomes) {
        for (const [index, item] of batch.entries()) await this.settle(item, outcomes[index]!);
        return;
      }
    }
    for (const item of batch) await this.settle(item, await this.handleAlone(item));
  }

  /**
   * Acks, or parks in a retry or dead-letter queue and then acks, or (paused) puts back; ends the
   * message's span.
   */
  private async settle(item: Delivery | Accepted, outcome: Outcome): Promise<void> {
    const { delivery, channel, attempt } = item;
    if (outcome.kind === 'retry' && this.paused) outcome = { kind: 'put-back' };
    if ('span' in item) item.span.end();
    if (outcome.kind === 'put-back') {
      this.putBack(item);
      return;
    }
    const { queue, retryDelaysMs } = this.options;
    try {
      if (outcome.kind === 'retry') {
        if (attempt <= retryDelaysMs.length) {
          await parkDelivery(this.deps.broker, delivery, { queue, attempt, reason: describeError(outcome.error), to: 'retry', retryDelaysMs });
        } else {
          this.log.error({ err: outcome.error, attempt, messageId: delivery.properties.messageId }, 'giving up after the last attempt');
          const reason = `failed after ${attempt} attempts: ${describeError(outcome.error)}`;
          await parkDelivery(this.deps.broker, delivery, { queue, attempt, reason, to: 'dead-letter', retryDelaysMs });
        }
      } else if (outcome.kind === 'dead-letter') {
        this.log.warn({ reason: outcome.reason, messageId: delivery.properties.messageId }, 'message dead-lettered');
        await parkDelivery(this.deps.broker, delivery, { queue, attempt, reason: outcome.reason, to: 'dead-letter', retryDelaysMs });
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

  /** Back to the queue, untried: nack, which from RabbitMQ 4.3 on does not count toward the delivery limit. */
  private putBack({ delivery, channel }: Delivery): void {
    try {
      channel.nack(delivery, false, true);
    } catch {
      // channel already closed: the broker redelivers anyway
    }
  }

  /**
   * One message, one transaction: the inbox row and the handler's effects commit together. The
   * whole transaction runs in the message's trace, its prepare step and deferred writes included.
   */
  private async handleAlone(item: Accepted): Promise<Outcome> {
    try {
      const [handled] = await otelContext.with(item.context, () => this.inTransaction([item]));
      return this.outcome(item, handled!);
    } catch (error) {
      return this.failed(item, error);
    }
  }

  /** The outcome of a message whose transaction committed. */
  private outcome(item: Accepted, handled: Handled): Outcome {
    if (handled.kind === 'failed') return this.failed(item, handled.error);
    if (handled.kind === 'duplicate') {
      item.span.setAttribute('messaging.duplicate', true);
      this.log.debug({ messageId: item.message.id, type: item.message.type }, 'duplicate message ignored');
    }
    return handled;
  }

  /** A failed message: dead-lettered for a PermanentError, else retried; recorded on its span. */
  private failed({ message, attempt, span }: Accepted, error: unknown): Outcome {
    recordFailure(span, error);
    if (error instanceof PermanentError) return { kind: 'dead-letter', reason: error.message };
    if (!this.paused) this.log.warn({ err: error, messageId: message.id, type: message.type, attempt }, 'handler failed; will retry');
    return { kind: 'retry', error };
  }

  /**
   * Many messages, one transaction. Throws if the transaction fails (all of it rolled back); a
   * message failed alone gets an outcome of its own.
   */
  private async handleTogether(batch: Accepted[]): Promise<Outcome[]> {
    for (const { span } of batch) span.setAttribute('messaging.batch.message_count', batch.length);
    try {
      const handled = await this.inTransaction(batch);
      return handled.map((result, index) => this.outcome(batch[index]!, result));
    } catch (error) {
      for (const { span } of batch) span.addEvent('batch rolled back; the message is handled again on its own', { 'exception.message': describeError(error) });
      throw error;
    }
  }

  /**
   * The inbox rows of `batch` (one insert; RETURNING tells the duplicates apart), the handlers'
   * prepare calls, then each new message's handler in its own trace context, all in one
   * transaction, which wakes the outbox relay if a handler enqueued a message. The inbox rows of
   * messages failed alone are taken out again before the commit. Returns what became of each.
   */
  private inTransaction(batch: Accepted[]): Promise<Handled[]> {
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
        await otelContext.with(item.context, () => item.handler.handle(this.handlerContext(item, tx, failAlone)));
        handled.push(failure ? { kind: 'failed', error: failure.error } : { kind: 'handled' });
      }
      const failedIds = batch.filter((_, index) => handled[index]!.kind === 'failed').map((item) => item.message.id);
      if (failedIds.length > 0) {
        await tx.query('DELETE FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])', [this.options.queue, failedIds]);
      }
      return handled;
    });
  }

  private handlerContext(item: Accepted, tx: PoolClient, failAlone: (error: unknown) => void): HandlerContext<unknown> {
    const { message, attempt, outside } = item;
    const outbox = this.deps.outbox;
    const log = this.log;
    let logger: Logger | undefined;
    return {
      message,
      tx,
      attempt,
      outside,
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
}
