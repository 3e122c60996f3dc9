import { setTimeout as sleep } from 'node:timers/promises';
import type { PoolClient } from '@shop/db';
import type { Logger } from '@shop/logger';
import type { SagaEngine } from './saga-engine';
import { SagaMetrics } from './saga-metrics';
import type { SagaStore } from './saga-store';

export interface DeadlineWatcherOptions<Tx = PoolClient> {
  /** The engine's store, asked which deadlines are due. */
  store: SagaStore<Tx>;
  /** Runs one deadline's transition: a transaction whose sent commands leave once it commits (a UnitOfWork's run, in the services). */
  transaction: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;
  logger: Logger;
  pollIntervalMs: number;
}

/**
 * Fires the deadlines stored in saga_instances. Polling the table (rather than keeping timers)
 * means deadlines survive a restart and any replica can fire them; the row lock taken by
 * `onDeadline` keeps two replicas from firing the same one.
 */
export class DeadlineWatcher<D, Tx = PoolClient> {
  private running = false;
  private loop?: Promise<void>;
  private readonly abort = new AbortController();

  constructor(
    private readonly engine: SagaEngine<D, Tx>,
    private readonly options: DeadlineWatcherOptions<Tx>,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
  }

  /**
   * Fires every deadline due now, except those of sagas whose participant has messages waiting in
   * its queue: their waits start again (a backlog is not a failure). Returns how many fired.
   */
  async fireDue(): Promise<number> {
    const due = await this.options.store.due(100);
    if (due.length === 0) return 0;
    const busy = new Set(await this.engine.awaitingBusyParticipants(due));
    if (busy.size > 0) {
      const postponed = await this.options.store.postpone([...busy]);
      if (postponed > 0) SagaMetrics.postponed(this.engine.definition.name, postponed);
    }
    let fired = 0;
    for (const { id } of due) {
      if (busy.has(id)) continue;
      if (await this.options.transaction((tx) => this.engine.onDeadline(tx, id))) fired += 1;
    }
    return fired;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.fireDue();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'saga deadline check failed; will try again');
      }
      try {
        await sleep(this.options.pollIntervalMs, undefined, { signal: this.abort.signal });
      } catch {
        return; // aborted by stop()
      }
    }
  }
}
