import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import type { MessageContract, PayloadOf } from '@shop/contracts';

/** The wire format, written out here on purpose: the test client speaks it as a foreign service would. */
export interface Envelope<T = unknown> {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  correlationId: string;
  causationId: string | null;
  data: T;
}

export interface MessageMeta {
  correlationId: string;
  causationId?: string | null;
  id?: string;
}

export function buildEnvelope<C extends MessageContract>(contract: C, data: PayloadOf<C>, meta: MessageMeta): Envelope<PayloadOf<C>> {
  return {
    id: meta.id ?? randomUUID(),
    type: contract.type,
    version: contract.version,
    occurredAt: new Date().toISOString(),
    correlationId: meta.correlationId,
    causationId: meta.causationId ?? null,
    data,
  };
}

/**
 * A plain AMQP client for tests: sends a message as another service would (or a malformed one, as
 * an attacker would) and listens on a queue of its own bound to any routing key.
 */
export class TestBrokerClient {
  private constructor(
    private readonly model: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async connect(url: string): Promise<TestBrokerClient> {
    const model = await amqp.connect(url);
    const channel = await model.createChannel();
    return new TestBrokerClient(model, channel);
  }

  async send<C extends MessageContract>(contract: C, data: PayloadOf<C>, meta: MessageMeta): Promise<Envelope<PayloadOf<C>>> {
    const envelope = buildEnvelope(contract, data, meta);
    this.publishRaw(contract.exchange, contract.routingKey, Buffer.from(JSON.stringify(envelope)), {
      messageId: envelope.id,
      type: envelope.type,
    });
    return envelope;
  }

  /** Sends an envelope as is, e.g. the same one twice to prove deduplication. */
  resend(contract: MessageContract, envelope: Envelope): void {
    this.publishRaw(contract.exchange, contract.routingKey, Buffer.from(JSON.stringify(envelope)), {
      messageId: envelope.id,
      type: envelope.type,
    });
  }

  publishRaw(exchange: string, routingKey: string, body: Buffer, properties: Record<string, unknown> = {}): void {
    this.channel.publish(exchange, routingKey, body, { persistent: true, contentType: 'application/json', ...properties });
  }

  /** Collects every message published to `exchange` with a matching routing key from now on. */
  async listen(exchange: string, pattern: string): Promise<{ messages: Envelope[]; raw: ConsumeMessage[] }> {
    await this.channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await this.channel.bindQueue(queue, exchange, pattern);
    const collected = { messages: [] as Envelope[], raw: [] as ConsumeMessage[] };
    await this.channel.consume(
      queue,
      (message) => {
        if (!message) return;
        collected.raw.push(message);
        collected.messages.push(JSON.parse(message.content.toString()) as Envelope);
      },
      { noAck: true },
    );
    return collected;
  }

  /**
   * Declares a durable queue bound to `exchange` that nothing consumes, as a service's queue
   * stands while the service is down: what is published to it waits there.
   */
  async holdQueue(queue: string, exchange: string, pattern: string): Promise<void> {
    await this.channel.assertQueue(queue, { durable: true });
    await this.channel.bindQueue(queue, exchange, pattern);
  }

  /** Takes every message waiting in a queue (a dead-letter queue, say) without waiting for more. */
  async drainQueue(queue: string): Promise<GetMessage[]> {
    const taken: GetMessage[] = [];
    for (;;) {
      const message = await this.channel.get(queue, { noAck: true });
      if (!message) return taken;
      taken.push(message);
    }
  }

  async queueDepth(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}
