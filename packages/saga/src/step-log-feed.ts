import { withTransaction, type Pool, type Queryable } from '@shop/db';
import type { Logger } from '@shop/logger';
import { sagaRepository } from './saga-repository';
import type { LoggedStep } from './saga-store';

export interface StepLogFeedOptions<Alongside> {
  /**
   * Read with each batch, in the same snapshot as its rows: what the listener shows beside them
   * (the orders of the batch's sagas as they stand). A write that commits a step row and a status
   * together is then seen whole or not at all, where reading after the rows could show the
   * status a batch before its row.
   */
  readAlongside: (db: Queryable, steps: LoggedStep[]) => Promise<Alongside>;
  pollIntervalMs?: number;
  /** Rows read per poll at most; a larger backlog is read over the next polls. */
  batchSize?: number;
  /** How long a skipped id is looked for before it counts as a rolled-back insert. */
  gapTimeoutMs?: number;
}

type Listener<Alongside> = (steps: LoggedStep[], alongside: Alongside) => void;

/**
 * Follows the saga step log as it is committed, for every listener at once, and only while one
 * listens: one query per poll per process, whatever the number of listeners or sagas.
 *
 * Ids come from a sequence when a row is inserted, but transactions commit in their own order,
 * so a row with a lower id can appear after a higher one was read. An id skipped over is looked
 * for again on every poll until it appears or `gapTimeoutMs` has passed (a rolled-back insert
 * leaves its id unused forever). Reading the table rather than a notification from each writer
 * costs the saga's transactions nothing and sees the rows of every replica. Each poll reads in one
 * REPEATABLE READ READ ONLY transaction, so its rows and `readAlongside` see the same commits.
 */
export class StepLogFeed<Alongside = undefined> {
  private readonly listeners = new Set<Listener<Alongside>>();
  private readonly gaps = new Map<number, number>();
  private lastId: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly gapTimeoutMs: number;
  private readonly readAlongside: StepLogFeedOptions<Alongside>['readAlongside'];

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    { readAlongside, pollIntervalMs = 200, batchSize = 2_000, gapTimeoutMs = 10_000 }: StepLogFeedOptions<Alongside>,
  ) {
    this.readAlongside = readAlongside;
    this.pollIntervalMs = pollIntervalMs;
    this.batchSize = batchSize;
    this.gapTimeoutMs = gapTimeoutMs;
  }

  /** The highest id handed to listeners so far; rows above it are still to come. */
  get position(): number | undefined {
    return this.lastId;
  }

  /**
   * Calls `listener` with each batch of rows committed from now on. The promise settles once the
   * feed knows where "now" is, so rows up to `position` can be read apart (a client catching up).
   */
  async subscribe(listener: Listener<Alongside>): Promise<() => void> {
    this.listeners.add(listener);
    if (this.lastId === undefined) this.lastId = await sagaRepository.lastStepId(this.pool);
    this.schedule();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /**
   * Rows with an id in `(afterId, position]`, oldest first, at most `limit`, with what is read
   * alongside them: what a client missed. Undefined when it missed nothing.
   */
  async missed(afterId: number, limit: number): Promise<{ steps: LoggedStep[]; alongside: Alongside } | undefined> {
    const until = this.lastId ?? 0;
    if (afterId >= until) return undefined;
    return this.inSnapshot(async (db) => {
      const rows = await sagaRepository.stepsSince(db, afterId, [], Math.min(limit, until - afterId));
      const steps = rows.filter((row) => row.id <= until);
      return steps.length > 0 ? { steps, alongside: await this.readAlongside(db, steps) } : undefined;
    });
  }

  /** Stops polling; with no listener left the feed forgets where it was. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastId = undefined;
    this.gaps.clear();
  }

  private schedule(): void {
    if (this.timer || this.polling || this.listeners.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = this.poll()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'step log feed: reading the log failed; trying again'))
        .finally(() => {
          this.polling = undefined;
          this.schedule();
        });
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  /** `read` in one transaction that sees one snapshot of the database throughout. */
  private inSnapshot<T>(read: (db: Queryable) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (db) => {
      await db.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return read(db);
    });
  }

  private async poll(): Promise<void> {
    const from = this.lastId;
    if (from === undefined) return;
    const batch = await this.inSnapshot(async (db) => {
      const rows = await sagaRepository.stepsSince(db, from, [...this.gaps.keys()], this.batchSize);
      // Rows past where the feed was, and late rows filling a gap it is still looking for.
      const fresh = rows.filter((row) => row.id > from || this.gaps.has(row.id));
      return { fresh, alongside: fresh.length > 0 ? await this.readAlongside(db, fresh) : undefined };
    });
    if (this.lastId !== from) return; // stopped (and maybe restarted) meanwhile
    const now = Date.now();
    let last = from;
    for (const row of batch.fresh) {
      if (row.id <= from) {
        this.gaps.delete(row.id);
        continue;
      }
      for (let id = last + 1; id < row.id && this.gaps.size < this.batchSize * 5; id++) this.gaps.set(id, now);
      last = row.id;
    }
    this.lastId = last;
    for (const [id, since] of this.gaps) if (now - since > this.gapTimeoutMs) this.gaps.delete(id);
    if (batch.fresh.length === 0) return;
    for (const listener of this.listeners) listener(batch.fresh, batch.alongside as Alongside);
  }
}
