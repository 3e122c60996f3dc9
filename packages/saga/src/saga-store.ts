import type { PublishedMessage, TraceCarrier } from '@shop/messaging';

export type SagaState = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'COMPENSATED';

export interface SagaInstance<D = unknown> {
  id: string;
  sagaType: string;
  state: SagaState;
  stepIndex: number;
  data: D;
  awaitingMessageId: string | null;
  deadlineAt: Date | null;
  /** The wait that set deadlineAt; it starts again when the awaited command is published. */
  waitMs: number;
  attempt: number;
  failureReason: string | null;
  /** The step that failed, and how: the failure reply's type, or `timed-out` (low-cardinality, for metrics). */
  failedStep: string | null;
  failureKind: string | null;
  traceContext: TraceCarrier;
  createdAt: Date;
  updatedAt: Date;
}

export interface StepLogEntry {
  step: string;
  action: 'invoke' | 'compensate';
  outcome: string;
  detail: string | null;
  at: Date;
}

/** A step log row as its readers see it: with its id (increasing) and its saga. */
export interface LoggedStep extends StepLogEntry {
  id: number;
  sagaId: string;
}

/** A saga whose awaited reply is late, with what it awaits. */
export interface DueSaga {
  id: string;
  state: SagaState;
  stepIndex: number;
}

/**
 * Where the engine keeps its sagas, their step logs and their deadlines. `Tx` is the transaction
 * a transition runs in, the same one its commands are sent in: the engine only passes it on.
 * In production this is PostgreSQL (`postgresSagaStore`); the engine's tests keep it in memory.
 */
export interface SagaStore<Tx> {
  /** A new saga, written with the transaction that started it. */
  insert(tx: Tx, saga: SagaInstance): Promise<void>;
  /** The saga, locked until `tx` ends, so its replies and deadlines are handled one at a time. */
  lock<D>(tx: Tx, id: string): Promise<SagaInstance<D> | undefined>;
  /** Locks many at once (a batch of replies), so that `lock` then finds them in hand. */
  lockMany(tx: Tx, ids: readonly string[]): Promise<void>;
  /** Writes back a saga `tx` locked. */
  save(tx: Tx, saga: SagaInstance): Promise<void>;
  log(tx: Tx, sagaId: string, entry: Omit<StepLogEntry, 'at'>): Promise<void>;
  /** These awaited commands just left: the waits of the sagas (their correlation ids) count from now. */
  restartWaits(tx: Tx, left: readonly PublishedMessage[]): Promise<void>;
  /** Runs `effect` once `tx` has committed, never if it rolls back (the engine's measurements). */
  afterCommit(tx: Tx, effect: () => void): void;
  /** Sagas whose deadline is due, oldest first. Outside any transaction. */
  due(limit: number): Promise<DueSaga[]>;
  /** The deadlines of these sagas, those still due, start again from now. Outside any transaction. */
  postpone(ids: readonly string[]): Promise<number>;
}
