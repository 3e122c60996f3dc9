import type { MessageContract, MessageKind, PayloadOf } from '@shop/contracts';
import { createEnvelope, type Envelope, type PublishedMessage } from '@shop/messaging';
import type { CommandSender } from '../src/index';
import { MemoryTransaction } from './in-memory-saga-store';

type LeftListener = (tx: MemoryTransaction, left: PublishedMessage[]) => Promise<void>;

/**
 * The outbox in memory, for the engine's tests: a message is sent when its transaction commits
 * and waits until `relay` lets it leave (the broker confirmed it), which tells the listeners.
 */
export class InMemoryCommandSender implements CommandSender<MemoryTransaction> {
  /** Every message a committed transaction sent, in order, with its kind. */
  readonly sent: Array<Envelope & { kind: MessageKind }> = [];
  private readonly waiting: Envelope[] = [];
  private readonly listeners: LeftListener[] = [];

  async send<C extends MessageContract>(
    tx: MemoryTransaction,
    contract: C,
    data: PayloadOf<C>,
    ids: { correlationId: string; causationId: string | null },
  ): Promise<string> {
    // Validated against its contract, as the outbox does: a command the participant would refuse fails here.
    const envelope = createEnvelope(contract, data, ids);
    tx.atCommit(() => {
      this.sent.push({ ...envelope, kind: contract.kind });
      this.waiting.push(envelope);
    });
    return envelope.id;
  }

  async hasLeft(_tx: MemoryTransaction, messageId: string): Promise<boolean> {
    return !this.waiting.some((message) => message.id === messageId);
  }

  onLeft(listener: LeftListener): void {
    this.listeners.push(listener);
  }

  /** Every waiting message leaves; the listeners hear of it in one transaction, as from the relay's. */
  async relay(): Promise<void> {
    const left = this.waiting.splice(0).map((message) => ({ messageId: message.id, correlationId: message.correlationId }));
    if (left.length === 0) return;
    await MemoryTransaction.run(async (tx) => {
      for (const listener of this.listeners) await listener(tx, left);
    });
  }
}
