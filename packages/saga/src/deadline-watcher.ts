import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '@shop/db';
import type { Logger } from '@shop/logger';
import type { Outbox } from '@shop/messaging';
import type { SagaEngine } from './saga-engine';
import { sagaRepository } from './saga-repository';

export interface DeadlineWatcherOptions {
  pool: Pool;
  outbox: Outbox;
  logger: Logger;
  pollIntervalMs: number;
}

/**
 * Fires the deadlines stored in saga_instances. Polling the table (rather than keeping timers)
 * means deadlines survive a restart and any replica can fire them; the row lock taken by
 * `onDeadline` keeps two replicas from firing the same one.
 */
export class DeadlineWatcher<D> {
  private running = false;
  private loop?: Promise<void>;
  private readonly abort = new AbortController();

  constructor(
    private readonly engine: SagaEngine<D>,
    private readonly options: DeadlineWatcherOptions,
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
    const due = await sagaRepository.due(this.options.pool, 100);
    if (due.length === 0) return 0;
    const busy = new Set(await this.engine.awaitingBusyParticipants(due));
    if (busy.size > 0) await sagaRepository.postpone(this.options.pool, [...busy]);
    let fired = 0;
    for (const { id } of due) {
      if (busy.has(id)) continue;
      if (await this.options.outbox.transaction((tx) => this.engine.onDeadline(tx, id))) fired += 1;
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
