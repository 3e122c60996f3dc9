import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { redactUrl } from '@shop/config';
import type { Logger } from '@shop/logger';
import { MessagingMetrics } from './metrics';
import { publishWithConfirms, type OutgoingMessage } from './publish-with-confirms';
import { QueueSubscriptions, type DeliveryHandler } from './queue-subscriptions';

export interface BrokerOptions {
  url: string;
  logger: Logger;
  /** Shown in the RabbitMQ management UI's connection list. */
  connectionName: string;
  prefetch: number;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
}

/** Declares exchanges, queues and bindings. Runs again on every (re)connection. */
export type TopologySetup = (channel: Channel) => Promise<void>;

/**
 * One AMQP connection with a confirm channel for publishing and a channel for consuming. It
 * reconnects by itself with exponential backoff and jitter, then declares the topology and
 * resumes every subscription: a broker restart needs no service restart. The subscriptions
 * (queue-subscriptions.ts) and publishing (publish-with-confirms.ts) live in modules of their own.
 */
export class Broker {
  private model?: ChannelModel;
  private publisher?: ConfirmChannel;
  private readonly topology: TopologySetup[] = [];
  private readonly subscriptions: QueueSubscriptions;
  private readonly connectedWaiters = new Set<() => void>();
  private readonly connectedListeners = new Set<() => void>();
  private connected = false;
  private stopping = false;
  private loop?: Promise<void>;

  constructor(private readonly options: BrokerOptions) {
    this.subscriptions = new QueueSubscriptions({
      logger: options.logger,
      onCancelledByBroker: () => void this.model?.close().catch(() => undefined),
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Called after every (re)connection, once the topology is declared and consumers resumed. */
  onConnected(listener: () => void): void {
    this.connectedListeners.add(listener);
  }

  addTopology(setup: TopologySetup): void {
    this.topology.push(setup);
  }

  subscribe(queue: string, handle: DeliveryHandler, { paused = false }: { paused?: boolean } = {}): void {
    this.subscriptions.add(queue, handle, paused);
  }

  /** Stops the deliveries of one queue (basic.cancel) until resume(); messages wait in the queue. */
  pause(queue: string): Promise<void> {
    return this.subscriptions.pause(queue);
  }

  resume(queue: string): Promise<void> {
    return this.subscriptions.resume(queue);
  }

  /**
   * How many messages wait in a queue for a consumer (ready, not yet delivered), from a passive
   * declare on a channel of its own: a missing queue closes that channel, not the others.
   */
  async readyMessages(queue: string): Promise<number> {
    const model = this.model;
    if (!model || !this.connected) throw new Error('not connected to RabbitMQ');
    const channel = await model.createChannel();
    channel.on('error', () => undefined); // a missing queue: the rejection below says it
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Starts connecting in the background; the service runs (and reports not ready) meanwhile. */
  start(): void {
    this.loop ??= this.connectLoop();
  }

  /** Resolves once connected, or rejects after `timeoutMs`. */
  async waitUntilConnected(timeoutMs: number): Promise<void> {
    if (this.connected) return;
    let release: () => void = () => undefined;
    const connected = new Promise<void>((resolve) => {
      release = resolve;
      this.connectedWaiters.add(resolve);
    });
    const timer = sleep(timeoutMs, undefined, { ref: false }).then(() => {
      throw new Error(`RabbitMQ not reachable at ${redactUrl(this.options.url)} within ${timeoutMs} ms`);
    });
    try {
      await Promise.race([connected, timer]);
    } finally {
      this.connectedWaiters.delete(release);
    }
  }

  private async connectLoop(): Promise<void> {
    const initial = this.options.reconnectInitialDelayMs ?? 200;
    const max = this.options.reconnectMaxDelayMs ?? 5_000;
    let attempt = 0;
    while (!this.stopping) {
      try {
        const closed = await this.connectOnce();
        attempt = 0;
        await closed; // resolves when this connection is gone
      } catch (error) {
        this.options.logger.warn({ err: error, url: redactUrl(this.options.url) }, 'RabbitMQ connection attempt failed');
      }
      this.markDisconnected();
      if (this.stopping) break;
      const delay = Math.min(max, initial * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      await sleep(delay);
    }
  }

  /** Connects, declares, subscribes; returns a promise that resolves when the connection closes. */
  private async connectOnce(): Promise<void> {
    const model = await amqp.connect(this.options.url, {
      clientProperties: { connection_name: this.options.connectionName },
      timeout: 5_000,
    });
    const closed = new Promise<void>((resolve) => {
      model.once('close', (error?: Error) => {
        if (!this.stopping) this.options.logger.warn({ err: error }, 'RabbitMQ connection closed; reconnecting');
        resolve();
      });
    });
    model.on('error', (error: Error) => this.options.logger.warn({ err: error }, 'RabbitMQ connection error'));
    model.on('blocked', (reason: string) => this.options.logger.warn({ reason }, 'RabbitMQ blocked publishing (resource alarm)'));
    try {
      const setupChannel = await model.createChannel();
      for (const setup of this.topology) await setup(setupChannel);
      await setupChannel.close();
      const publisher = await model.createConfirmChannel();
      publisher.on('error', (error: Error) => this.options.logger.warn({ err: error }, 'publish channel error'));
      publisher.setMaxListeners(0); // one 'return' listener per concurrent publish call
      const consumer = await model.createChannel();
      consumer.on('error', (error: Error) => this.options.logger.warn({ err: error }, 'consume channel error'));
      // Either channel closing (e.g. a protocol error) means the whole connection is restarted, so
      // the topology and subscriptions are rebuilt in one place.
      for (const channel of [publisher, consumer]) {
        channel.once('close', () => {
          if (!this.stopping) void model.close().catch(() => undefined);
        });
      }
      await consumer.prefetch(this.options.prefetch);
      this.model = model;
      this.publisher = publisher;
      await this.subscriptions.attach(consumer);
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
    if (this.stopping) {
      // close() was called while this connection was being set up and found none to close.
      await model.close().catch(() => undefined);
      return closed;
    }
    this.connected = true;
    this.options.logger.info({ url: redactUrl(this.options.url) }, 'connected to RabbitMQ');
    for (const resolve of this.connectedWaiters) resolve();
    for (const listener of this.connectedListeners) listener();
    return closed;
  }

  private markDisconnected(): void {
    this.connected = false;
    this.model = undefined;
    this.publisher = undefined;
    this.subscriptions.detach();
  }

  /**
   * Publishes persistent messages and resolves once the broker confirmed every one of them, with
   * the ids of mandatory messages it returned as unroutable. Rejects when not connected or when
   * any is nacked: the caller (outbox relay, retry) tries again later.
   */
  async publish(messages: readonly OutgoingMessage[]): Promise<Set<string>> {
    const channel = this.publisher;
    if (!channel || !this.connected) throw new Error('not connected to RabbitMQ');
    let unroutable: Set<string>;
    try {
      unroutable = await publishWithConfirms(channel, messages, { appId: this.options.connectionName, logger: this.options.logger });
    } catch (error) {
      MessagingMetrics.sent(messages, () => 'not_confirmed');
      throw error;
    }
    MessagingMetrics.sent(messages, (message) => (unroutable.has(message.messageId) ? 'unroutable' : undefined));
    return unroutable;
  }

  /** Stops taking new deliveries (graceful shutdown); in-flight ones still finish and ack. */
  async stopConsuming(): Promise<void> {
    await this.subscriptions.stop();
  }

  async close(): Promise<void> {
    this.stopping = true;
    const model = this.model;
    if (model) await model.close().catch(() => undefined);
    await this.loop;
  }

  /** Test hook and fault injection: drop the connection as a broker restart would. */
  async dropConnection(): Promise<void> {
    await this.model?.close().catch(() => undefined);
  }
}
