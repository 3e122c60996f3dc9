import amqp, { type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import { QueueNames } from '@shop/contracts';
import { Headers } from '@shop/messaging';

export interface DeadLetter {
  queue: string;
  messageId: string;
  type: string;
  error: string;
  attempts: number;
  consumer: string;
  originalExchange: string;
  originalRoutingKey: string;
  failedAt: string;
  body: string;
}

const header = (message: GetMessage, name: string) => {
  const value = message.properties.headers?.[name];
  return value === undefined || value === null ? '' : Buffer.isBuffer(value) ? value.toString() : String(value);
};

function toDeadLetter(queue: string, message: GetMessage): DeadLetter {
  return {
    queue,
    messageId: String(message.properties.messageId ?? ''),
    type: String(message.properties.type ?? ''),
    error: header(message, Headers.error),
    attempts: Number(header(message, Headers.attempt) || 1),
    consumer: header(message, Headers.consumer),
    originalExchange: header(message, Headers.originalExchange),
    originalRoutingKey: header(message, Headers.originalRoutingKey),
    failedAt: header(message, Headers.failedAt),
    body: message.content.toString('utf8'),
  };
}

/**
 * Reads and moves the messages of the dead-letter queues. Reading takes messages without acking
 * them and gives them all back at the end, so a look changes nothing.
 */
export class DeadLetterStore {
  private constructor(
    private readonly model: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async connect(url: string): Promise<DeadLetterStore> {
    const model = await amqp.connect(url, { clientProperties: { connection_name: 'dlq-cli' }, timeout: 5_000 });
    const channel = await model.createConfirmChannel();
    channel.on('error', () => undefined); // surfaced by the failing call itself
    return new DeadLetterStore(model, channel);
  }

  /** Messages waiting in a consumer's dead-letter queue, or undefined when the queue does not exist. */
  async depth(consumerQueue: string): Promise<number | undefined> {
    const probe = await this.model.createChannel();
    probe.on('error', () => undefined);
    try {
      return (await probe.checkQueue(QueueNames.deadLetter(consumerQueue))).messageCount;
    } catch {
      return undefined;
    } finally {
      await probe.close().catch(() => undefined);
    }
  }

  async peek(consumerQueue: string, limit = 1_000): Promise<DeadLetter[]> {
    if ((await this.depth(consumerQueue)) === undefined) return [];
    const queue = QueueNames.deadLetter(consumerQueue);
    const taken: GetMessage[] = [];
    try {
      for (let i = 0; i < limit; i += 1) {
        const message = await this.channel.get(queue, { noAck: false });
        if (!message) break;
        taken.push(message);
      }
      return taken.map((message) => toDeadLetter(queue, message));
    } finally {
      if (taken.length > 0) this.channel.nackAll(true);
    }
  }

  /**
   * Sends dead letters back to the queue of the consumer that failed them (not to their original
   * exchange, which may feed other consumers that handled them fine), with a fresh attempt count.
   * Each is acked only once the broker confirmed its copy. `only` limits it to one message id.
   */
  async replay(consumerQueue: string, only?: string): Promise<number> {
    if ((await this.depth(consumerQueue)) === undefined) return 0;
    const queue = QueueNames.deadLetter(consumerQueue);
    const skipped: GetMessage[] = [];
    let replayed = 0;
    try {
      for (;;) {
        const message = await this.channel.get(queue, { noAck: false });
        if (!message) break;
        if (only && message.properties.messageId !== only) {
          skipped.push(message);
          continue;
        }
        const headers = { ...message.properties.headers };
        for (const name of [Headers.error, Headers.attempt, Headers.failedAt, Headers.consumer]) delete headers[name];
        await new Promise<void>((resolve, reject) => {
          this.channel.publish(
            '',
            consumerQueue,
            message.content,
            { ...message.properties, headers, persistent: true },
            (error: unknown) => (error ? reject(error instanceof Error ? error : new Error('nacked')) : resolve()),
          );
        });
        this.channel.ack(message);
        replayed += 1;
      }
    } finally {
      for (const message of skipped) this.channel.nack(message, false, true);
    }
    return replayed;
  }

  async purge(consumerQueue: string): Promise<number> {
    if ((await this.depth(consumerQueue)) === undefined) return 0;
    return (await this.channel.purgeQueue(QueueNames.deadLetter(consumerQueue))).messageCount;
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}
