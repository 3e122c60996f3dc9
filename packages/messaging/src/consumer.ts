import { performance } from 'node:perf_hooks';
import { context as otelContext } from '@opentelemetry/api';
import type { Logger } from '@shop/logger';
import { BatchScheduler } from './batch-scheduler';
import type { Broker } from './broker';
import { declareConsumerQueues } from './consumer-queues';
import type { AcceptedDelivery, Delivery } from './delivery';
import type { Envelope } from './envelope';
import { injectFaultsInto, type FaultSettings } from './fault-injection';
import { InboxTransactions } from './inbox-transactions';
import type { MessageHandler } from './message-handler';
import { readAttempt } from './message-parking';
import { MessageSettlement } from './message-settlement';
import { validateDelivery } from './message-validation';
import { MessagingMetrics } from './metrics';
import type { Outbox } from './outbox';
import { startConsumerSpan } from './telemetry';
import type { UnitOfWork } from './unit-of-work';

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
   * being handled form the next one, so batches grow with the load; when it is light, see
   * `batchLingerMs`. A batch that fails is handled again one message at a time, which would repeat
   * effects outside the database (SMTP): such handlers report their failures with `failAlone`
   * instead of throwing, or keep it at 1.
   */
  batchSize?: number;
  /**
   * How long a message may wait for company while less than `batchSize` are ready (default 0: a
   * batch starts as soon as a worker is free). Under a light load this trades a little latency
   * for fewer transactions and commits; a full batch never waits (decision 0025).
   */
  batchLingerMs?: number;
  /** Batches handled at once (default 1). Each holds one database connection. */
  concurrency?: number;
  /**
   * While it says paused, the consumer takes no deliveries (the messages wait in the queue, where
   * they burn no retries), and a message that fails meanwhile is put back in the queue instead of
   * being retried. Messages whose outside work is done are still recorded.
   */
  pauseWhen?: PauseSignal;
  /**
   * Demo switches: latency added to every message and a share of them failed transiently, as the
   * first step of its outside work, or of its handler when it has none (injectFaultsInto).
   */
  faults?: FaultSettings;
}

export interface ConsumerDependencies {
  broker: Broker;
  /** Runs the consumer's inbox transactions. */
  unitOfWork: UnitOfWork;
  /** Where the handlers' `send` writes. */
  outbox: Outbox;
  logger: Logger;
}

/**
 * A consumer with an inbox: each message is validated against its contract, recorded by id in the
 * same transaction as its effects and acked only after the commit, so a redelivery changes nothing.
 * Transient failures are retried through delay queues with jittered backoff; permanent ones and
 * the last failed attempt go to the queue's dead-letter queue with the reason in headers.
 *
 * A message goes: arrival and validation (message-validation.ts), then its handler's outside work
 * if it has any (calls to remote systems, all messages' side by side), then a transaction shared
 * with the messages ready at the same time (batch-scheduler.ts, inbox-transactions.ts), then
 * settlement (message-settlement.ts: ack, or a retry or dead-letter queue, or back into the queue
 * while the consumer is paused). Its queues are declared by consumer-queues.ts.
 */
export class InboxConsumer {
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly batches: BatchScheduler<AcceptedDelivery>;
  private readonly inbox: InboxTransactions;
  private readonly settlement: MessageSettlement;
  private paused = false;
  private readonly log: Logger;

  constructor(
    private readonly deps: ConsumerDependencies,
    private readonly options: ConsumerOptions,
  ) {
    const { queue, faults } = options;
    for (const handler of options.handlers) {
      this.handlers.set(handler.contract.type, faults ? injectFaultsInto(handler, faults, queue) : handler);
    }
    this.log = deps.logger.child({ queue });
    MessagingMetrics.declareConsumer(queue, options.retryDelaysMs.length);
    const isPaused = () => this.paused;
    this.inbox = new InboxTransactions({ queue, unitOfWork: deps.unitOfWork, outbox: deps.outbox, log: this.log, isPaused });
    this.settlement = new MessageSettlement({ broker: deps.broker, queue, retryDelaysMs: options.retryDelaysMs, log: this.log, isPaused });
    this.batches = new BatchScheduler({
      batchSize: Math.max(1, options.batchSize ?? 1),
      concurrency: Math.max(1, options.concurrency ?? 1),
      lingerMs: Math.max(0, options.batchLingerMs ?? 0),
      handle: (batch) => this.handleBatch(batch),
      track: (worker) => this.track(worker),
      // Not expected: every path settles its messages. Unsettled ones come back on reconnect.
      onError: (error) => this.log.error({ err: error }, 'batch handling failed unexpectedly'),
    });
    deps.broker.addTopology((channel) =>
      declareConsumerQueues(channel, {
        queue,
        handlers: this.handlers.values(),
        retryDelaysMs: options.retryDelaysMs,
        deliveryLimit: options.deliveryLimit ?? 20,
      }),
    );
    this.paused = options.pauseWhen?.paused ?? false;
    deps.broker.subscribe(
      queue,
      (delivery, channel) => this.receive({ delivery, channel, attempt: readAttempt(delivery), receivedAt: performance.now() }),
      {
        paused: this.paused,
      },
    );
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
      this.settlement.putBack(item);
      return;
    }
    const valid = validateDelivery(item.delivery, this.handlers);
    MessagingMetrics.consumed(this.options.queue, 'reason' in valid ? undefined : valid.routingKey);
    if ('reason' in valid) {
      this.track(this.settlement.settle(item, { kind: 'dead-letter', reason: valid.reason }));
      return;
    }
    const traced = startConsumerSpan(valid.message, item.delivery.properties.headers, this.options.queue, valid.routingKey);
    traced.span.setAttribute('messaging.consumer.attempt', item.attempt);
    const accepted: AcceptedDelivery = { ...item, ...valid, ...traced };
    if (valid.handler.outside) this.track(this.runOutside(accepted, valid.handler.outside));
    else this.batches.add(accepted);
  }

  private async runOutside(item: AcceptedDelivery, work: (message: Envelope) => Promise<unknown>): Promise<void> {
    try {
      item.outside = await otelContext.with(item.context, () => work(item.message));
    } catch (error) {
      await this.settlement.settle(item, this.inbox.failed(item, error));
      return;
    }
    this.batches.add(item);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * The messages are handled in one transaction. If that transaction fails, nothing of it
   * happened, and each message is handled again alone, so one bad message cannot hold back the
   * others and retries and dead letters stay per message.
   */
  private async handleBatch(batch: AcceptedDelivery[]): Promise<void> {
    if (batch.length > 1) {
      const outcomes = await this.inbox.handleTogether(batch);
      if (outcomes) {
        for (const [index, item] of batch.entries()) await this.settlement.settle(item, outcomes[index]!);
        return;
      }
    }
    for (const item of batch) await this.settlement.settle(item, await this.inbox.handleAlone(item));
  }
}
