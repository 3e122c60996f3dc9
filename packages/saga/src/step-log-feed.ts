import type { Pool } from '@shop/db';
import type { Logger } from '@shop/logger';
import { sagaRepository } from './saga-repository';
import type { LoggedStep } from './saga-store';

export interface StepLogFeedOptions {
  pollIntervalMs?: number;
  /** Rows read per poll at most; a larger backlog is read over the next polls. */
  batchSize?: number;
  /** How long a skipped id is looked for before it counts as a rolled-back insert. */
  gapTimeoutMs?: number;
}

type Listener = (steps: LoggedStep[]) => void;

/**
 * Follows the saga step log as it is committed, for every listener at once, and only while one
 * listens: one query per poll per process, whatever the number of listeners or sagas.
 *
 * Ids come from a sequence when a row is inserted, but transactions commit in their own order,
 * so a row with a lower id can appear after a higher one was read. An id skipped over is looked
 * for again on every poll until it appears or `gapTimeoutMs` has passed (a rolled-back insert
 * leaves its id unused forever). Reading the table rather than a notification from each writer
 * costs the saga's transactions nothing and sees the rows of every replica.
 */
export class StepLogFeed {
  private readonly listeners = new Set<Listener>();
  private readonly gaps = new Map<number, number>();
  private lastId: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly gapTimeoutMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    { pollIntervalMs = 200, batchSize = 2_000, gapTimeoutMs = 10_000 }: StepLogFeedOptions = {},
  ) {
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
  async subscribe(listener: Listener): Promise<() => void> {
    this.listeners.add(listener);
    if (this.lastId === undefined) this.lastId = await sagaRepository.lastStepId(this.pool);
    this.schedule();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Rows with an id in `(afterId, position]`, oldest first, at most `limit`: what a client missed. */
  async missed(afterId: number, limit: number): Promise<LoggedStep[]> {
    const until = this.lastId ?? 0;
    if (afterId >= until) return [];
    const rows = await sagaRepository.stepsSince(this.pool, afterId, [], Math.min(limit, until - afterId));
    return rows.filter((row) => row.id <= until);
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

  private async poll(): Promise<void> {
    const from = this.lastId;
    if (from === undefined) return;
    const rows = await sagaRepository.stepsSince(this.pool, from, [...this.gaps.keys()], this.batchSize);
    if (this.lastId !== from) return; // stopped (and maybe restarted) meanwhile
    const now = Date.now();
    let last = from;
    const fresh: LoggedStep[] = [];
    for (const row of rows) {
      if (row.id <= from) {
        if (this.gaps.delete(row.id)) fresh.push(row);
        continue;
      }
      for (let id = last + 1; id < row.id && this.gaps.size < this.batchSize * 5; id++) this.gaps.set(id, now);
      last = row.id;
      fresh.push(row);
    }
    this.lastId = last;
    for (const [id, since] of this.gaps) if (now - since > this.gapTimeoutMs) this.gaps.delete(id);
    if (fresh.length === 0) return;
    for (const listener of this.listeners) listener(fresh);
  }
}
