export interface BatchSchedulerOptions<T> {
  /** Most items handed over at once. */
  batchSize: number;
  /** Batches handled at once. */
  concurrency: number;
  /**
   * How long the oldest ready item may wait for company while less than a batch is ready
   * (0: a batch starts as soon as a worker is free).
   */
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
 * batches grow with the load. While less than a batch is ready, one worker waits until the oldest
 * ready item is `lingerMs` old, or until a batch is full, whichever comes first (decision 0025):
 * under a light load a batch then holds what arrived in that time instead of one item, and the
 * fixed cost of a batch (its transaction, its commit) is shared. A full batch never waits.
 */
export class BatchScheduler<T> {
  private readonly ready: T[] = [];
  /** When each ready item arrived (performance.now()), in the same order. */
  private readonly arrivedAt: number[] = [];
  private activeWorkers = 0;
  /** Ends the one worker's wait for company, while a worker waits. */
  private endWait?: () => void;

  constructor(private readonly options: BatchSchedulerOptions<T>) {}

  add(item: T): void {
    this.ready.push(item);
    this.arrivedAt.push(performance.now());
    const full = this.ready.length >= this.options.batchSize;
    if (full) this.endWait?.();
    // While a worker waits for company, another would only take part of what it waits for.
    while (this.activeWorkers < this.options.concurrency && this.ready.length > 0 && (full || !this.endWait)) {
      this.activeWorkers += 1;
      this.options.track(this.work());
    }
  }

  /** Takes what is ready, up to a batch, until nothing is. */
  private async work(): Promise<void> {
    try {
      for (;;) {
        if (this.ready.length === 0) return;
        if (this.ready.length < this.options.batchSize && this.options.lingerMs > 0) {
          if (this.endWait) return; // another worker is waiting for these
          await this.waitForCompany();
        }
        const batch = this.ready.splice(0, this.options.batchSize);
        this.arrivedAt.splice(0, batch.length);
        if (batch.length === 0) return;
        await this.options.handle(batch).catch((error: unknown) => this.options.onError(error, batch));
      }
    } finally {
      this.activeWorkers -= 1;
    }
  }

  /** Until the oldest ready item is lingerMs old, or `add` fills a batch. */
  private async waitForCompany(): Promise<void> {
    const left = this.options.lingerMs - (performance.now() - this.arrivedAt[0]!);
    if (left <= 0) return;
    await new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        if (this.endWait === end) this.endWait = undefined;
        resolve();
      };
      const timer = setTimeout(end, left);
      this.endWait = end;
    });
  }
}
