import type { Logger } from '@shop/logger';
import type { Broker } from './broker';
import type { AcceptedDelivery, Delivery, Outcome } from './delivery';
import { parkDelivery } from './message-parking';
import { describeError } from './message-validation';
import { MessagingMetrics, type DeadLetterReason, type ProcessError } from './metrics';
import { performance } from 'node:perf_hooks';

export interface SettlementOptions {
  broker: Broker;
  queue: string;
  /** One delay per retry; attempts in all = delays + 1. */
  retryDelaysMs: readonly number[];
  log: Logger;
  /** While paused, a message that would be retried is put back in its queue instead. */
  isPaused: () => boolean;
}

/** The last step of every message a consumer takes: what its outcome says is done with the delivery. */
export class MessageSettlement {
  constructor(private readonly options: SettlementOptions) {}

  /**
   * Acks, or parks in a retry or dead-letter queue and then acks, or (paused) puts back; ends the
   * message's span.
   */
  async settle(item: Delivery | AcceptedDelivery, outcome: Outcome): Promise<void> {
    const { delivery, channel, attempt } = item;
    if (outcome.kind === 'retry' && this.options.isPaused()) outcome = { kind: 'put-back' };
    if ('span' in item) item.span.end();
    if (outcome.kind === 'put-back') {
      this.putBack(item);
      return;
    }
    const { broker, queue, retryDelaysMs, log } = this.options;
    // A message that failed validation has no routing key worth a series: anyone could make one up.
    const routingKey = 'routingKey' in item ? item.routingKey : undefined;
    let error: ProcessError | undefined;
    try {
      if (outcome.kind === 'retry') {
        error = 'transient';
        if (attempt <= retryDelaysMs.length) {
          await parkDelivery(broker, delivery, { queue, attempt, reason: describeError(outcome.error), to: 'retry', retryDelaysMs });
          MessagingMetrics.retried(queue, attempt);
        } else {
          log.error({ err: outcome.error, attempt, messageId: delivery.properties.messageId }, 'giving up after the last attempt');
          const reason = `failed after ${attempt} attempts: ${describeError(outcome.error)}`;
          await parkDelivery(broker, delivery, { queue, attempt, reason, to: 'dead-letter', retryDelaysMs });
          MessagingMetrics.deadLettered(queue, 'retries_exhausted');
        }
      } else if (outcome.kind === 'dead-letter') {
        log.warn({ reason: outcome.reason, messageId: delivery.properties.messageId }, 'message dead-lettered');
        await parkDelivery(broker, delivery, { queue, attempt, reason: outcome.reason, to: 'dead-letter', retryDelaysMs });
        const why: DeadLetterReason = routingKey === undefined ? 'invalid_message' : 'permanent_failure';
        MessagingMetrics.deadLettered(queue, why);
        error = why === 'invalid_message' ? 'invalid_message' : 'permanent';
      }
      channel.ack(delivery);
      MessagingMetrics.processed(queue, routingKey, (performance.now() - item.receivedAt) / 1000, error);
    } catch (error) {
      // Could not park or ack (broker trouble). Reject so it is redelivered: the inbox makes the
      // redelivery harmless, and reject counts toward the quorum queue's delivery limit.
      log.warn({ err: error }, 'could not settle message; rejecting for redelivery');
      try {
        channel.reject(delivery, true);
      } catch {
        // channel already closed: the broker redelivers anyway
      }
    }
  }

  /** Back to the queue, untried: nack, which from RabbitMQ 4.3 on does not count toward the delivery limit. */
  putBack({ delivery, channel }: Delivery): void {
    try {
      channel.nack(delivery, false, true);
    } catch {
      // channel already closed: the broker redelivers anyway
    }
  }
}
