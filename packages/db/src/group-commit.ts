import { context, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { PoolClient } from './client-types';

/** Runs `work` in a transaction of its own: withTransaction, or a wrapper such as @shop/messaging's UnitOfWork. */
export type RunInTransaction = <T>(work: (tx: PoolClient) => Promise<T>) => Promise<T>;

export interface GroupCommitOptions {
  /** The most pieces of work one transaction takes. 1 turns grouping off. */
  maxSize: number;
  /**
   * Transactions in flight at once; work that arrives while they are all busy waits for the next.
   * The pieces of a failed group run again alone all at once, bounded by the pool, not by this:
   * one by one, a group failing for lack of a database would take its size times the pool's
   * connection timeout to answer.
   */
  concurrency: number;
}

interface Waiting {
  work: (tx: PoolClient) => Promise<unknown>;
  context: Context;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for requests (decision 0010). `run` starts a transaction at once when fewer than
 * `concurrency` are in flight, so a request under light load has its own, as before. Work that
 * arrives while they are all busy waits, and everything that waited shares the next transaction
 * (up to `maxSize`), one piece after the other, each in its caller's trace context: one BEGIN,
 * one flush of deferred writes and one COMMIT for the group instead of one each.
 *
 * If a grouped transaction fails, nothing of it was committed and each piece of work runs again
 * in a transaction of its own, so one request's conflict or bad row fails only that request.
 * Work may therefore run more than once and must not have effects outside the transaction.
 */
export class GroupCommit {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly transaction: RunInTransaction,
    private readonly options: GroupCommitOptions,
  ) {}

  run<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, context: context.active(), resolve: resolve as (value: unknown) => void, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.inFlight < this.options.concurrency && this.waiting.length > 0) {
      const group = this.waiting.splice(0, Math.max(1, this.options.maxSize));
      this.inFlight += 1;
      void this.commit(group).finally(() => {
        this.inFlight -= 1;
        this.next();
      });
    }
  }

  private async commit(group: Waiting[]): Promise<void> {
    if (group.length === 1) return this.alone(group[0]!);
    let results: unknown[];
    try {
      // The shared statements (the flush of deferred writes) belong to no one request's trace, so
      // they run outside all of them, as a batch of messages does; each piece of work runs in its own.
      results = await context.with(ROOT_CONTEXT, () =>
        this.transaction(async (tx) => {
          const done: unknown[] = [];
          for (const item of group) done.push(await context.with(item.context, () => item.work(tx)));
          return done;
        }),
      );
    } catch {
      await Promise.all(group.map((item) => this.alone(item)));
      return;
    }
    group.forEach((item, i) => item.resolve(results[i]));
  }

  private async alone(item: Waiting): Promise<void> {
    try {
      item.resolve(await context.with(item.context, () => this.transaction(item.work)));
    } catch (error) {
      item.reject(error);
    }
  }
}
