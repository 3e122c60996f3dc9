import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@shop/logger';

/** Takes a delivery; it is the handler's to ack or reject on `channel`. */
export type DeliveryHandler = (message: ConsumeMessage, channel: Channel) => void;

interface Subscription {
  queue: string;
  handle: DeliveryHandler;
  consumerTag?: string;
  /** Paused subscriptions are not consumed, after a reconnection either. */
  paused: boolean;
  /** Pausing and resuming one after the other, never overlapping. */
  toggling: Promise<void>;
}

/**
 * The broker's subscriptions to queues: consumed on each new consume channel (every connection
 * has one), paused and resumed one at a time, stopped for a graceful shutdown.
 */
export class QueueSubscriptions {
  private readonly subscriptions: Subscription[] = [];
  private channel?: Channel;
  private consuming = true;

  constructor(private readonly options: { logger: Logger; onCancelledByBroker: () => void }) {}

  add(queue: string, handle: DeliveryHandler, paused: boolean): void {
    this.subscriptions.push({ queue, handle, paused, toggling: Promise.resolve() });
  }

  /** Stops the deliveries of one queue (basic.cancel) until resume(); messages wait in the queue. */
  pause(queue: string): Promise<void> {
    return this.toggle(queue, true);
  }

  resume(queue: string): Promise<void> {
    return this.toggle(queue, false);
  }

  /** The consume channel of a new connection: every subscription not paused is consumed on it. */
  async attach(channel: Channel): Promise<void> {
    this.channel = channel;
    if (!this.consuming) return;
    for (const subscription of this.subscriptions) {
      if (!subscription.paused) await this.consume(channel, subscription);
    }
  }

  /** The connection is gone, and its consumers with it. */
  detach(): void {
    this.channel = undefined;
    for (const subscription of this.subscriptions) subscription.consumerTag = undefined;
  }

  /** Stops taking new deliveries (graceful shutdown), on this connection and the next ones. */
  async stop(): Promise<void> {
    this.consuming = false;
    const channel = this.channel;
    if (!channel) return;
    for (const subscription of this.subscriptions) {
      if (subscription.consumerTag) await channel.cancel(subscription.consumerTag).catch(() => undefined);
      subscription.consumerTag = undefined;
    }
  }

  private toggle(queue: string, paused: boolean): Promise<void> {
    const subscription = this.subscriptions.find((s) => s.queue === queue);
    if (!subscription) return Promise.reject(new Error(`no subscription to ${queue}`));
    subscription.paused = paused;
    subscription.toggling = subscription.toggling.then(async () => {
      const channel = this.channel;
      if (!channel || subscription.paused !== paused) return; // not connected, or toggled back meanwhile
      if (paused && subscription.consumerTag) {
        const tag = subscription.consumerTag;
        subscription.consumerTag = undefined;
        await channel.cancel(tag);
      } else if (!paused && !subscription.consumerTag && this.consuming) {
        await this.consume(channel, subscription);
      }
    });
    return subscription.toggling;
  }

  private async consume(channel: Channel, subscription: Subscription): Promise<void> {
    const reply = await channel.consume(subscription.queue, (message) => {
      if (message === null) {
        // The broker cancelled us (queue deleted). Acking null would throw inside amqplib; restart
        // the connection instead, which redeclares the queue and subscribes again.
        this.options.logger.error({ queue: subscription.queue }, 'consumer cancelled by the broker; reconnecting');
        this.options.onCancelledByBroker();
        return;
      }
      subscription.handle(message, channel);
    });
    subscription.consumerTag = reply.consumerTag;
  }
}
