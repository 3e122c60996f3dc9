import type { MessageContract, PayloadOf } from '@shop/contracts';
import type { PoolClient } from '@shop/db';
import type { Outbox, PublishedMessage } from '@shop/messaging';

/** How the engine's commands (and its hooks' events) leave. In production, the transactional outbox. */
export interface CommandSender<Tx> {
  /**
   * Sends a message in `tx`: it leaves if and only if `tx` commits. Returns the message's id, the
   * causation id its reply will carry.
   */
  send<C extends MessageContract>(
    tx: Tx,
    contract: C,
    data: PayloadOf<C>,
    ids: { correlationId: string; causationId: string | null },
  ): Promise<string>;
  /** Whether the message has left for its participant; one still waiting to leave cannot be late. */
  hasLeft(tx: Tx, messageId: string): Promise<boolean>;
  /** Calls `listener` with the messages that just left, in the transaction that records it. */
  onLeft(listener: (tx: Tx, left: PublishedMessage[]) => Promise<void>): void;
}

/** The outbox as the saga's sender: a message has left once the relay deleted its row. */
export function outboxCommandSender(outbox: Outbox): CommandSender<PoolClient> {
  return {
    send: async (tx, contract, data, ids) => (await outbox.enqueue(tx, contract, data, ids)).id,
    hasLeft: async (tx, messageId) => ((await tx.query('SELECT 1 FROM outbox WHERE message_id = $1', [messageId])).rowCount ?? 0) === 0,
    onLeft: (listener) => outbox.onPublished(listener),
  };
}
