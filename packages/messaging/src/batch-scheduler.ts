import { setTimeout as delay } from 'node:timers/promises';

export interface BatchSchedulerOptions<T> {
  /** Most items handed over at once. */
  batchSize: number;
  /** Batches handled at once. */
  concurrency: number;
  /** How long a worker that finds less than a batch ready waits for more before taking it (0: not at all). */
  lingerMs: number;
  handle(batch: T[]): Promise<void>;
  /** Told of each worker started, so its owner can wait for it (graceful shutdown). */
  track(worker: Promise<void>): void;
  /** A batch whose handling rejected: not expected, handle should settle every item itself. */
  onError(error: unknown, batch: T[]): void;
}

/**
 * Hands what is ready to at most `concurrency` workers, each taking up to `batchSize` items at a
 * time until nothing is ready. What arrives while a batch is being handled forms the next one, so
 * batches grow with the load. A worker that finds less than a batch ready first waits `lingerMs`
 * for more (decision 0025): under a light load a batch then holds what arrived in that time
 * instead of one item, and the fixed cost of a batch (its transaction, its commit) is shared.
 */
export class BatchScheduler<T> {
  private readonly ready: T[] = [];
  private activeWorkers = 0;

  constructor(private readonly options: BatchSchedulerOptions<T>) {}

  add(item: T): void {
    this.ready.push(item);
    while (this.activeWorkers < this.options.concurrency && this.ready.length > 0) {
      this.activeWorkers += 1;
      this.options.track(this.work());
    }
  }

  /** Takes what is ready, up to a batch, until nothing is. */
  private async work(): Promise<void> {
    try {
      for (;;) {
        if (this.options.lingerMs > 0 && this.ready.length > 0 && this.ready.length < this.options.batchSize) {
          await delay(this.options.lingerMs);
        }
        const batch = this.ready.splice(0, this.options.batchSize);
        if (batch.length === 0) return;
        await this.options.handle(batch).catch((error: unknown) => this.options.onError(error, batch));
      }
    } finally {
      this.activeWorkers -= 1;
    }
  }
}
