import { withTransaction, type Pool, type PoolClient } from '@shop/db';
import type { Outbox } from './outbox';

export interface UnitOfWorkOptions {
  pool: Pool;
  /** Woken when a unit of work that enqueued a message commits. */
  outbox: Outbox;
}

/**
 * How a service runs its work against its database: the consumers' inbox transactions, the
 * placed orders' group commits, the saga's deadlines. `run(work)` is one transaction (COMMIT when
 * `work` resolves, ROLLBACK when it throws), whose deferred writes (deferInsert, deferUpdate) leave
 * just before the COMMIT, and whose messages enqueued in the outbox leave right after it: the
 * commit wakes the relay. One that enqueued nothing leaves the relay asleep: an empty relay run is
 * three statements for nothing, and most of an email's or a deadline check's transactions publish
 * nothing. `work` runs in the caller's trace context.
 */
export class UnitOfWork {
  constructor(private readonly options: UnitOfWorkOptions) {}

  async run<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    const { pool, outbox } = this.options;
    let enqueued = false;
    const result = await withTransaction(pool, async (tx) => {
      const done = await work(tx);
      enqueued = outbox.enqueuedIn(tx);
      return done;
    });
    if (enqueued) outbox.wake();
    return result;
  }
}
