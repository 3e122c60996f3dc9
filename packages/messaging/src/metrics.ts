import { metrics, type Attributes, type BatchObservableResult } from '@opentelemetry/api';
import { Buckets, TallyCounter } from '@shop/telemetry';
import type { OutgoingMessage } from './publish-with-confirms';

/**
 * The messaging pipeline's measurements (docs/metrics.md): the semantic conventions' consumed,
 * sent and processing-time instruments, and the project's own for retries, dead letters and
 * duplicates. Recorded for every message, whether its trace is sampled or not. The counters are
 * TallyCounters, counted in process and read at each scrape (decision 0022).
 */
const meter = metrics.getMeter('@shop/messaging');

const consumed = new TallyCounter(meter, 'messaging.client.consumed.messages', {
  unit: '{message}',
  description: 'Messages a consumer took from its queue to handle.',
});
const processDuration = meter.createHistogram('messaging.process.duration', {
  unit: 's',
  description: 'From a message arriving to it being settled: acked, or parked in a retry or dead-letter queue.',
  advice: { explicitBucketBoundaries: [...Buckets.short] },
});
const sent = new TallyCounter(meter, 'messaging.client.sent.messages', {
  unit: '{message}',
  description: 'Messages published: confirmed by the broker, or returned as unroutable or not confirmed (error.type).',
});
const retriesCounter = new TallyCounter(meter, 'shop.messaging.retries', {
  unit: '{message}',
  description: 'Failed messages sent to a retry queue, by queue and the attempt that failed.',
});
const deadLetters = new TallyCounter(meter, 'shop.messaging.dead_letters', {
  unit: '{message}',
  description: 'Messages parked in their queue’s dead-letter queue, by reason.',
});
const duplicates = new TallyCounter(meter, 'shop.inbox.duplicates', {
  unit: '{message}',
  description: 'Redeliveries the inbox recognised and did not handle again.',
});

/** Why a message was dead-lettered: it failed validation, its handler refused it, or it ran out of attempts. */
export type DeadLetterReason = 'invalid_message' | 'permanent_failure' | 'retries_exhausted';

/** What went wrong with a message that was not handled, as `error.type`. */
export type ProcessError = 'invalid_message' | 'permanent' | 'transient';

function consumerAttributes(queue: string, routingKey: string | undefined): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'rabbitmq',
    'messaging.operation.name': 'process',
    'messaging.destination.name': queue,
  };
  if (routingKey !== undefined) attributes['messaging.rabbitmq.destination.routing_key'] = routingKey;
  return attributes;
}

/** What the broker said of a message it did not take. */
type SendError = 'unroutable' | 'not_confirmed';

function sentAttributes(exchange: string, routingKey: string, error: SendError | undefined): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'rabbitmq',
    'messaging.operation.name': 'publish',
    // The default exchange has no name on the wire (RabbitMQ's own series say exchange=""); the
    // semantic conventions call it amq.default.
    'messaging.destination.name': exchange || 'amq.default',
    'messaging.rabbitmq.destination.routing_key': routingKey,
  };
  if (error) attributes['error.type'] = error;
  return attributes;
}

export const MessagingMetrics = {
  /**
   * A consumer's rare-event series at 0 from its start (duplicates, dead letters by reason,
   * retries by attempt), so `rate()` counts their first event and alerts find them.
   */
  declareConsumer(queue: string, retries: number): void {
    MessagingMetrics.duplicate(queue, 0);
    for (const reason of ['invalid_message', 'permanent_failure', 'retries_exhausted'] satisfies DeadLetterReason[]) {
      MessagingMetrics.deadLettered(queue, reason, 0);
    }
    for (let attempt = 1; attempt <= retries; attempt += 1) MessagingMetrics.retried(queue, attempt, 0);
  },

  /** A delivery taken to be handled. The routing key is left out for one that failed validation. */
  consumed(queue: string, routingKey: string | undefined): void {
    consumed.add(routingKey === undefined ? queue : `${queue}\u0000${routingKey}`, 1, () => consumerAttributes(queue, routingKey));
  },

  /** A delivery settled, `seconds` after it arrived; `error` when it was not handled. */
  processed(queue: string, routingKey: string | undefined, seconds: number, error?: ProcessError): void {
    const attributes = consumerAttributes(queue, routingKey);
    if (error) attributes['error.type'] = error;
    processDuration.record(seconds, attributes);
  },

  /** A published batch, counted by exchange, routing key and what the broker said (`errorOf`). */
  sent(messages: readonly OutgoingMessage[], errorOf: (message: OutgoingMessage) => SendError | undefined): void {
    for (const message of messages) {
      const error = errorOf(message);
      sent.add(`${message.exchange}\u0000${message.routingKey}\u0000${error ?? ''}`, 1, () =>
        sentAttributes(message.exchange, message.routingKey, error),
      );
    }
  },

  retried(queue: string, failedAttempt: number, count = 1): void {
    retriesCounter.add(`${queue}\u0000${failedAttempt}`, count, () => ({
      'messaging.destination.name': queue,
      'messaging.consumer.attempt': failedAttempt,
    }));
  },

  deadLettered(queue: string, reason: DeadLetterReason, count = 1): void {
    deadLetters.add(`${queue}\u0000${reason}`, count, () => ({ 'messaging.destination.name': queue, 'shop.dead_letter.reason': reason }));
  },

  duplicate(queue: string, count = 1): void {
    duplicates.add(queue, count, () => ({ 'messaging.destination.name': queue }));
  },
};

const outboxPending = meter.createObservableGauge('shop.outbox.pending', {
  unit: '{message}',
  description: 'Outbox rows not yet published.',
});
const outboxOldestAge = meter.createObservableGauge('shop.outbox.oldest_age', {
  unit: 's',
  description: 'Age of the oldest outbox row not yet published; 0 when the outbox is empty.',
});

/**
 * Reports an outbox's backlog each time metrics are collected (a scrape), as `latest` last read
 * it. The scrape never waits on the database: a query there could outlast the scrape's timeout
 * when the database is down or the pool busy, and the whole service's series would go missing.
 * Undefined (no reading yet, or the last one failed) reports nothing.
 * Returns the function that stops it.
 */
export function observeOutboxBacklog(latest: () => { pending: number; oldestAgeSeconds: number } | undefined): () => void {
  const callback = (result: BatchObservableResult) => {
    const backlog = latest();
    if (!backlog) return;
    result.observe(outboxPending, backlog.pending);
    result.observe(outboxOldestAge, backlog.oldestAgeSeconds);
  };
  meter.addBatchObservableCallback(callback, [outboxPending, outboxOldestAge]);
  return () => meter.removeBatchObservableCallback(callback, [outboxPending, outboxOldestAge]);
}
