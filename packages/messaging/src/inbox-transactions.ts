import { context as otelContext } from '@opentelemetry/api';
import type { PoolClient } from '@shop/db';
import type { Logger } from '@shop/logger';
import { failureOutcome, type AcceptedDelivery, type Outcome } from './delivery';
import type { Envelope } from './envelope';
import type { HandlerContext, PrepareBatch } from './message-handler';
import { describeError } from './message-validation';
import { MessagingMetrics } from './metrics';
import type { Outbox } from './outbox';
import type { UnitOfWork } from './unit-of-work';

/** What became of one message of a committed transaction. */
type Handled = { kind: 'handled' } | { kind: 'duplicate' } | { kind: 'failed'; error: unknown };

export interface InboxTransactionsOptions {
  /** The consumer's queue: its name keys the inbox rows. */
  queue: string;
  unitOfWork: UnitOfWork;
  /** Where the handlers' `send` writes. */
  outbox: Outbox;
  log: Logger;
  /** A paused consumer's failures are expected and not logged. */
  isPaused: () => boolean;
}

/**
 * Runs messages' handlers in inbox transactions: each message is recorded by id in the consumer's
 * inbox in the same transaction as its handler's effects, so a redelivery changes nothing. A batch
 * shares one transaction; if it fails, nothing of it happened, and the consumer handles each of
 * its messages again alone.
 */
export class InboxTransactions {
  constructor(private readonly options: InboxTransactionsOptions) {}

  /**
   * Many messages, one transaction. Undefined if the transaction failed (all of it rolled back); a
   * message failed alone gets an outcome of its own.
   */
  async handleTogether(batch: AcceptedDelivery[]): Promise<Outcome[] | undefined> {
    for (const { span } of batch) span.setAttribute('messaging.batch.message_count', batch.length);
    try {
      const handled = await this.run(batch);
      return handled.map((result, index) => this.outcome(batch[index]!, result));
    } catch (error) {
      for (const { span } of batch)
        span.addEvent('batch rolled back; the message is handled again on its own', { 'exception.message': describeError(error) });
      this.options.log.debug({ err: error, size: batch.length }, 'batch failed; handling its messages one at a time');
      return undefined;
    }
  }

  /**
   * One message, one transaction: the inbox row and the handler's effects commit together. The
   * whole transaction runs in the message's trace, its prepare step and deferred writes included.
   */
  async handleAlone(item: AcceptedDelivery): Promise<Outcome> {
    try {
      const [handled] = await otelContext.with(item.context, () => this.run([item]));
      return this.outcome(item, handled!);
    } catch (error) {
      return this.failed(item, error);
    }
  }

  failed(item: AcceptedDelivery, error: unknown): Outcome {
    return failureOutcome(item, error, this.options.log, this.options.isPaused());
  }

  /** The outcome of a message whose transaction committed. */
  private outcome(item: AcceptedDelivery, handled: Handled): Outcome {
    if (handled.kind === 'failed') return this.failed(item, handled.error);
    if (handled.kind === 'duplicate') {
      MessagingMetrics.duplicate(this.options.queue);
      item.span.setAttribute('messaging.duplicate', true);
      this.options.log.debug({ messageId: item.message.id, type: item.message.type }, 'duplicate message ignored');
    }
    return handled;
  }

  /**
   * The inbox rows of `batch` (one insert; RETURNING tells the duplicates apart), the handlers'
   * prepare calls, then each new message's handler in its own trace context, all in one unit of
   * work, whose commit wakes the outbox relay if a handler enqueued a message. The inbox rows of
   * messages failed alone are taken out again before the commit. Returns what became of each.
   */
  private run(batch: AcceptedDelivery[]): Promise<Handled[]> {
    const { unitOfWork, queue } = this.options;
    return unitOfWork.run(async (tx) => {
      const { rows } = await tx.query<{ message_id: string }>(
        'INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING message_id',
        [queue, batch.map((item) => item.message.id)],
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
        await tx.query('DELETE FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])', [queue, failedIds]);
      }
      return handled;
    });
  }

  private handlerContext(item: AcceptedDelivery, tx: PoolClient, failAlone: (error: unknown) => void): HandlerContext<unknown> {
    const { message, attempt, outside } = item;
    const { outbox, log } = this.options;
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
