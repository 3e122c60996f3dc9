import type { PublishedMessage } from '@shop/messaging';
import type { DueSaga, SagaInstance, SagaStore, StepLogEntry } from '../src/index';

/**
 * A transaction of the in-memory store and sender: what it writes is seen by others only once it
 * commits, and is lost when its work throws. Like PostgreSQL's deferred writes, a write captures
 * its values when it is made.
 */
export class MemoryTransaction {
  /** The sagas this transaction holds locked, as `lockedRows` keeps them in PostgreSQL. */
  readonly locked = new Map<string, SagaInstance>();
  private readonly writes: Array<() => void> = [];

  static async run<T>(work: (tx: MemoryTransaction) => Promise<T>): Promise<T> {
    const tx = new MemoryTransaction();
    const result = await work(tx);
    for (const write of tx.writes) write();
    return result;
  }

  atCommit(write: () => void): void {
    this.writes.push(write);
  }
}

/** The engine's store in memory, for its tests: the same contract as `postgresSagaStore`, on `now`'s clock. */
export class InMemorySagaStore implements SagaStore<MemoryTransaction> {
  private readonly sagas = new Map<string, SagaInstance>();
  private readonly steps: Array<Omit<StepLogEntry, 'at'> & { sagaId: string }> = [];

  constructor(private readonly now: () => number) {}

  async insert(tx: MemoryTransaction, saga: SagaInstance): Promise<void> {
    const row = structuredClone(saga);
    tx.locked.set(saga.id, saga);
    tx.atCommit(() => this.sagas.set(row.id, row));
  }

  async lock<D>(tx: MemoryTransaction, id: string): Promise<SagaInstance<D> | undefined> {
    const held = tx.locked.get(id);
    if (held) return held as SagaInstance<D>;
    const row = this.sagas.get(id);
    if (!row) return undefined;
    const saga = structuredClone(row);
    tx.locked.set(id, saga);
    return saga as SagaInstance<D>;
  }

  async lockMany(tx: MemoryTransaction, ids: readonly string[]): Promise<void> {
    for (const id of [...new Set(ids)].sort()) await this.lock(tx, id);
  }

  afterCommit(tx: MemoryTransaction, effect: () => void): void {
    tx.atCommit(effect);
  }

  async save(tx: MemoryTransaction, saga: SagaInstance): Promise<void> {
    const row = { ...structuredClone(saga), updatedAt: new Date(this.now()) };
    tx.atCommit(() => {
      if (this.sagas.has(row.id)) this.sagas.set(row.id, row); // an update: it needs the row
    });
  }

  async log(tx: MemoryTransaction, sagaId: string, entry: Omit<StepLogEntry, 'at'>): Promise<void> {
    tx.atCommit(() => this.steps.push({ sagaId, ...entry }));
  }

  async restartWaits(tx: MemoryTransaction, left: readonly PublishedMessage[]): Promise<void> {
    const now = this.now();
    tx.atCommit(() => {
      for (const message of left) {
        const saga = this.sagas.get(message.correlationId);
        if (saga?.deadlineAt && saga.awaitingMessageId === message.messageId) saga.deadlineAt = new Date(now + saga.waitMs);
      }
    });
  }

  async due(limit: number): Promise<DueSaga[]> {
    return [...this.sagas.values()]
      .filter((saga) => saga.deadlineAt !== null && saga.deadlineAt.getTime() <= this.now())
      .sort((a, b) => a.deadlineAt!.getTime() - b.deadlineAt!.getTime())
      .slice(0, limit)
      .map(({ id, state, stepIndex }) => ({ id, state, stepIndex }));
  }

  async postpone(ids: readonly string[]): Promise<number> {
    let postponed = 0;
    for (const id of ids) {
      const saga = this.sagas.get(id);
      if (saga?.deadlineAt && saga.deadlineAt.getTime() <= this.now()) {
        saga.deadlineAt = new Date(this.now() + saga.waitMs);
        postponed += 1;
      }
    }
    return postponed;
  }

  /** The committed saga, as another transaction would read it. */
  find<D>(id: string): SagaInstance<D> | undefined {
    const row = this.sagas.get(id);
    return row && (structuredClone(row) as SagaInstance<D>);
  }

  get size(): number {
    return this.sagas.size;
  }

  /** The saga's step log, one line an entry: `charge-payment invoke failed: payment declined: …`. */
  history(sagaId: string): string[] {
    return this.steps
      .filter((entry) => entry.sagaId === sagaId)
      .map(({ step, action, outcome, detail }) => `${step} ${action} ${outcome}${detail === null ? '' : `: ${detail}`}`);
  }
}
