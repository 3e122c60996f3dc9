import type { MessageContract, PayloadOf } from '@shop/contracts';
import type { PoolClient } from '@shop/db';
import type { Logger } from '@shop/logger';
import type { Envelope, MessageMeta } from './envelope';

export interface HandlerContext<T, R = unknown> {
  message: Envelope<T>;
  /** The transaction that also records the message in the inbox: effects commit with it or not at all. */
  tx: PoolClient;
  attempt: number;
  logger: Logger;
  /** What the handler's `outside` step returned for this message (undefined when it has none). */
  outside: R;
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

/**
 * Work for one message outside any transaction, before its handler: a call to a remote system,
 * which must not keep a transaction and its locks open while it waits. It runs for every
 * delivery, duplicates included, so it must be safe to repeat (an idempotency key). If it throws,
 * the message fails as if its handler had, and nothing of it is recorded.
 */
export type OutsideWork<T = unknown, R = unknown> = (message: Envelope<T>) => Promise<R>;

export interface MessageHandler {
  contract: MessageContract;
  handle(context: HandlerContext<unknown>): Promise<void>;
  /** Handlers sharing one prepare function get one call with all their messages of the batch. */
  prepare?: PrepareBatch;
  /** Runs as soon as the message arrives; the message goes on to its transaction when it is done. */
  outside?: OutsideWork;
}

/** Pairs a contract with its handler, typed by the contract's schema (and by its outside step's result). */
export function on<C extends MessageContract, R = unknown>(
  contract: C,
  handle: (context: HandlerContext<PayloadOf<C>, NoInfer<R>>) => Promise<void>,
  options: { prepare?: PrepareBatch; outside?: OutsideWork<PayloadOf<C>, R> } = {},
): MessageHandler {
  return {
    contract,
    handle: handle as (context: HandlerContext<unknown>) => Promise<void>,
    prepare: options.prepare,
    outside: options.outside as OutsideWork | undefined,
  };
}
