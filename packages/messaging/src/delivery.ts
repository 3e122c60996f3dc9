import type { Context, Span } from '@opentelemetry/api';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@shop/logger';
import { PermanentError } from './errors';
import type { ValidMessage } from './message-validation';
import { recordFailure } from './telemetry';

/** A delivery in a consumer's hands until it is settled on `channel`, its attempt read from its headers. */
export interface Delivery {
  delivery: ConsumeMessage;
  channel: Channel;
  attempt: number;
  /** When it arrived (`performance.now()`), for its processing time. */
  receivedAt: number;
}

/** A delivery that passed validation, with its CONSUMER span (from arrival to settlement). */
export interface AcceptedDelivery extends Delivery, ValidMessage {
  span: Span;
  context: Context;
  /** The result of the handler's outside work, once done. */
  outside?: unknown;
}

/** What becomes of a message: acked, parked in a retry or dead-letter queue, or put back in its queue. */
export type Outcome =
  | { kind: 'handled' }
  | { kind: 'duplicate' }
  | { kind: 'retry'; error: unknown }
  | { kind: 'dead-letter'; reason: string }
  | { kind: 'put-back' };

/**
 * The outcome of a failed message: dead-lettered for a PermanentError, else retried; recorded on
 * its span. A paused consumer's failures are expected (its dependency is down) and not logged.
 */
export function failureOutcome({ message, attempt, span }: AcceptedDelivery, error: unknown, log: Logger, paused: boolean): Outcome {
  recordFailure(span, error);
  if (error instanceof PermanentError) return { kind: 'dead-letter', reason: error.message };
  if (!paused) log.warn({ err: error, messageId: message.id, type: message.type, attempt }, 'handler failed; will retry');
  return { kind: 'retry', error };
}
