import type { Pool, Queryable } from '@shop/db';
import type { LiveOrder, LiveQueuesEvent, LiveStep, LiveStepsEvent } from '@shop/live-page';
import type { Logger } from '@shop/logger';
import type { Broker } from '@shop/messaging';
import type { BackgroundTask } from '@shop/runtime';
import { StepLogFeed, type LoggedStep } from '@shop/saga';
import { orderRepository } from '../../data-access/order-repository';
import type { Order } from '../../domain/order';

/** What one watcher receives: whole server-sent events, ready to write. */
type Watcher = (chunk: string) => void;

export interface LiveBroadcastOptions {
  pool: Pool;
  broker: Broker;
  logger: Logger;
  /** The queues whose ready messages the page shows. */
  queues: readonly string[];
  queueIntervalMs?: number;
  stepPollIntervalMs?: number;
}

/** A client that reconnects gets at most this many missed step rows; older ones it must reload. */
const CATCH_UP_LIMIT = 5_000;

/** The orders of a batch's sagas, read in the batch's snapshot (an order's id is its saga's). */
const ordersOf = (db: Queryable, steps: LoggedStep[]): Promise<Order[]> => {
  const ids = [...new Set(steps.map((step) => step.sagaId))];
  return orderRepository.list(db, { ids, limit: ids.length });
};

/**
 * The live page's stream, shared by every page watching this process: the saga step log as it is
 * committed (each batch with its orders as they stood when its rows were read) and the queues'
 * depths. The database and the broker are read once per poll for all watchers, and not at all
 * while nobody watches.
 */
export class LiveBroadcast implements BackgroundTask {
  private readonly watchers = new Set<Watcher>();
  /** The watchers that want the step batches too (all but those asking for the queues only). */
  private readonly stepWatchers = new Set<Watcher>();
  private readonly feed: StepLogFeed<Order[]>;
  /** The feed subscription while a watcher wants steps; resolves to its unsubscribe. */
  private subscription: Promise<() => void> | undefined;
  private queueTimer: NodeJS.Timeout | undefined;
  private queueRound = 0;
  private readonly closers = new Set<() => void>();

  constructor(private readonly options: LiveBroadcastOptions) {
    this.feed = new StepLogFeed(options.pool, options.logger, {
      readAlongside: ordersOf,
      pollIntervalMs: options.stepPollIntervalMs ?? 200,
    });
  }

  /**
   * Adds a watcher. It gets the queues' depths, and unless `steps` is false every step batch
   * committed from now on, first what it missed when `lastEventId` says where it was. `close` is
   * called when the service stops.
   */
  async watch(
    watcher: Watcher,
    close: () => void,
    { lastEventId, steps = true }: { lastEventId?: number; steps?: boolean } = {},
  ): Promise<() => void> {
    this.watchers.add(watcher);
    if (steps) this.stepWatchers.add(watcher);
    this.closers.add(close);
    if (this.watchers.size === 1) this.sampleQueues();
    if (steps) await (this.subscription ??= this.feed.subscribe((rows, orders) => this.broadcast(stepsEvent(rows, orders))));
    if (steps && lastEventId !== undefined) {
      const missed = await this.feed.missed(lastEventId, CATCH_UP_LIMIT);
      if (missed) watcher(stepsEvent(missed.steps, missed.alongside));
    }
    return () => {
      this.watchers.delete(watcher);
      this.stepWatchers.delete(watcher);
      this.closers.delete(close);
      if (this.stepWatchers.size === 0) this.stopFeed();
      if (this.watchers.size === 0) this.stopQueues();
    };
  }

  start(): void {}

  /** Ends every stream, so the HTTP server can close. */
  async stop(): Promise<void> {
    for (const close of this.closers) close();
    this.watchers.clear();
    this.stepWatchers.clear();
    this.closers.clear();
    this.stopFeed();
    this.stopQueues();
  }

  private stopFeed(): void {
    void this.subscription?.then((unsubscribe) => unsubscribe());
    this.subscription = undefined;
  }

  private stopQueues(): void {
    clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    this.queueRound += 1;
  }

  private broadcast(chunk: string): void {
    for (const watcher of this.stepWatchers) watcher(chunk);
  }

  private sampleQueues(): void {
    // A new round of watchers starts its own loop; the loop of an earlier round sees it and ends.
    const round = ++this.queueRound;
    const loop = async () => {
      const queues = await Promise.all(
        this.options.queues.map(async (name) => ({ name, ready: await this.options.broker.readyMessages(name).catch(() => null) })),
      );
      if (round !== this.queueRound) return;
      const event: LiveQueuesEvent = { at: new Date().toISOString(), queues };
      const chunk = serverSentEvent('queues', event);
      for (const watcher of this.watchers) watcher(chunk);
      this.queueTimer = setTimeout(() => void loop(), this.options.queueIntervalMs ?? 2_000);
      this.queueTimer.unref();
    };
    void loop();
  }
}

/** A batch of step rows and their orders as one event, its id the batch's last row. */
function stepsEvent(steps: LoggedStep[], orders: Order[]): string {
  const event: LiveStepsEvent = { steps: steps.map(liveStep), orders: orders.map(liveOrder) };
  return serverSentEvent('steps', event, steps.at(-1)?.id);
}

/** One server-sent event: `id` lets a reconnecting client say where it was. */
export function serverSentEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function liveStep(step: LoggedStep): LiveStep {
  return {
    id: step.id,
    orderId: step.sagaId,
    step: step.step,
    action: step.action,
    outcome: step.outcome as LiveStep['outcome'],
    detail: step.detail,
    at: step.at.toISOString(),
  };
}

function liveOrder(order: Order): LiveOrder {
  return {
    orderId: order.id,
    status: order.status,
    cancellationReason: order.cancellationReason,
    traceId: order.traceId,
    totalCents: order.totalCents,
    currency: order.currency,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
