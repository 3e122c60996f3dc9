import { afterCommit, deferInsert, lockedTable, type Column, type Pool, type PoolClient, type Queryable } from '@shop/db';
import type { TraceCarrier } from '@shop/messaging';
import type { DueSaga, LoggedStep, SagaInstance, SagaState, SagaStore, StepLogEntry } from './saga-store';

interface InstanceRow {
  id: string;
  saga_type: string;
  state: SagaState;
  step_index: number;
  data: unknown;
  awaiting_message_id: string | null;
  deadline_at: Date | null;
  wait_ms: number;
  attempt: number;
  failure_reason: string | null;
  failed_step: string | null;
  failure_kind: string | null;
  trace_context: TraceCarrier;
  created_at: Date;
  updated_at: Date;
}

const toInstance = <D>(row: InstanceRow): SagaInstance<D> => ({
  id: row.id,
  sagaType: row.saga_type,
  state: row.state,
  stepIndex: row.step_index,
  data: row.data as D,
  awaitingMessageId: row.awaiting_message_id,
  deadlineAt: row.deadline_at,
  waitMs: row.wait_ms,
  attempt: row.attempt,
  failureReason: row.failure_reason,
  failedStep: row.failed_step,
  failureKind: row.failure_kind,
  traceContext: row.trace_context,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The columns an insert writes, in the order of toRow; a save updates them all but saga_type. */
const SAGA_COLUMNS: readonly Column[] = [
  ['id', 'uuid'],
  ['saga_type', 'text'],
  ['state', 'text'],
  ['step_index', 'integer'],
  ['data', 'jsonb'],
  ['awaiting_message_id', 'uuid'],
  ['deadline_at', 'timestamptz'],
  ['attempt', 'integer'],
  ['failure_reason', 'text'],
  ['trace_context', 'jsonb'],
  ['wait_ms', 'integer'],
  ['failed_step', 'text'],
  ['failure_kind', 'text'],
];
const SAVED = (_: unknown, index: number) => index !== 1; // saga_type never changes
const SAVED_COLUMNS = SAGA_COLUMNS.filter(SAVED);

const toRow = (saga: SagaInstance): unknown[] => [
  saga.id,
  saga.sagaType,
  saga.state,
  saga.stepIndex,
  JSON.stringify(saga.data),
  saga.awaitingMessageId,
  saga.deadlineAt,
  saga.attempt,
  saga.failureReason,
  saga.traceContext,
  saga.waitMs,
  saga.failedStep,
  saga.failureKind,
];

/**
 * Sagas a transaction holds locked are read and written in its memory, and their writes deferred
 * to its end (@shop/db lockedTable), so a batch of replies costs one statement per table however
 * many sagas it moves, and a second reply for a saga in the same batch sees its latest state.
 */
const sagas = lockedTable<SagaInstance, InstanceRow>({
  table: 'saga_instances',
  key: 'id',
  keyType: 'uuid',
  keyOf: (saga) => saga.id,
  fromRecord: toInstance,
  inserted: { columns: SAGA_COLUMNS, values: toRow },
  updated: { columns: SAVED_COLUMNS, values: (saga) => toRow(saga).filter(SAVED), alsoSet: 'updated_at = now()' },
});

export const sagaRepository = {
  insert: (db: Queryable, saga: SagaInstance): Promise<void> => sagas.insert(db, saga),

  /** Locks the saga for the rest of the transaction: replies and deadlines for it are handled one at a time. */
  lock: <D>(db: Queryable, id: string) => sagas.find(db, id, { forUpdate: true }) as Promise<SagaInstance<D> | undefined>,

  /**
   * Locks many sagas in one statement, in id order: every transaction that locks several takes
   * them in the same order, so two of them cannot deadlock.
   */
  async lockMany(db: Queryable, ids: readonly string[]): Promise<void> {
    await sagas.lockMany(db, ids);
  },

  async find<D>(db: Queryable, id: string): Promise<SagaInstance<D> | undefined> {
    const { rows } = await db.query<InstanceRow>('SELECT * FROM saga_instances WHERE id = $1', [id]);
    return rows[0] && toInstance<D>(rows[0]);
  },

  /**
   * Writes back, at the commit, a saga whose row existed when this transaction began (one it
   * locked): the update and an insert deferred in the same transaction go in one statement, where
   * the update would not see the new row.
   */
  save: (db: Queryable, saga: SagaInstance): Promise<void> => sagas.updateLater(db, saga),

  /**
   * The awaited commands just left the outbox: their deadlines count from now. Looked up by saga
   * id (the commands' correlation id), the primary key: matching on awaiting_message_id alone was
   * planned as a scan of the whole table where statistics are missing (autovacuum off), about
   * 130 ms per relay batch at 200 orders/s, holding saga locks the replies waited for.
   * Locked in id order, like lockMany, so this cannot deadlock with a batch of replies.
   */
  async restartWaits(db: Queryable, published: readonly { messageId: string; correlationId: string }[]): Promise<void> {
    const sagaIds = published.map((m) => m.correlationId).filter((id) => UUID.test(id));
    if (sagaIds.length === 0) return;
    await db.query(
      `UPDATE saga_instances SET deadline_at = now() + wait_ms * interval '1 millisecond'
        WHERE id IN (SELECT id FROM saga_instances
                      WHERE id = ANY($1::uuid[]) AND awaiting_message_id = ANY($2::uuid[]) AND deadline_at IS NOT NULL
                      ORDER BY id FOR UPDATE)`,
      [sagaIds, published.map((m) => m.messageId)],
    );
  },

  async log(db: Queryable, sagaId: string, entry: Omit<StepLogEntry, 'at'>): Promise<void> {
    await deferInsert(
      db,
      'saga_step_log',
      [
        ['saga_id', 'uuid'],
        ['step', 'text'],
        ['action', 'text'],
        ['outcome', 'text'],
        ['detail', 'text'],
      ],
      [sagaId, entry.step, entry.action, entry.outcome, entry.detail],
    );
  },

  async history(db: Queryable, sagaId: string): Promise<StepLogEntry[]> {
    const { rows } = await db.query<StepLogEntry>(
      'SELECT step, action, outcome, detail, at FROM saga_step_log WHERE saga_id = $1 ORDER BY id',
      [sagaId],
    );
    return rows;
  },

  /**
   * Step log rows with an id above `afterId` or among `ids`, in id order: what a reader of the
   * log (the live page's feed) has not seen yet.
   */
  async stepsSince(db: Queryable, afterId: number, ids: readonly number[], limit: number): Promise<LoggedStep[]> {
    const { rows } = await db.query<{
      id: string;
      saga_id: string;
      step: string;
      action: StepLogEntry['action'];
      outcome: string;
      detail: string | null;
      at: Date;
    }>(
      `SELECT id, saga_id, step, action, outcome, detail, at FROM saga_step_log
        WHERE id > $1 OR id = ANY($2::bigint[]) ORDER BY id LIMIT $3`,
      [afterId, ids, limit],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      sagaId: row.saga_id,
      step: row.step,
      action: row.action,
      outcome: row.outcome,
      detail: row.detail,
      at: row.at,
    }));
  },

  /** The highest step log id so far (0 on an empty log). */
  async lastStepId(db: Queryable): Promise<number> {
    const { rows } = await db.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM saga_step_log');
    return Number(rows[0]?.id ?? 0);
  },

  /** Sagas whose awaited reply is late, oldest first, with what they await. */
  async due(db: Queryable, limit: number): Promise<DueSaga[]> {
    const { rows } = await db.query<{ id: string; state: SagaState; step_index: number }>(
      'SELECT id, state, step_index FROM saga_instances WHERE deadline_at <= now() ORDER BY deadline_at LIMIT $1',
      [limit],
    );
    return rows.map((row) => ({ id: row.id, state: row.state, stepIndex: row.step_index }));
  },

  /**
   * Their deadlines start again from now, one statement for all: their participant is behind, not
   * failing. Only those still due: a saga a reply moved on meanwhile has a deadline of its own.
   */
  /** Returns how many deadlines it started again (another replica may have postponed or fired some first). */
  async postpone(db: Queryable, ids: readonly string[]): Promise<number> {
    const { rowCount } = await db.query(
      `UPDATE saga_instances SET deadline_at = now() + wait_ms * interval '1 millisecond'
        WHERE id IN (SELECT id FROM saga_instances WHERE id = ANY($1::uuid[]) AND deadline_at <= now() ORDER BY id FOR UPDATE)`,
      [ids],
    );
    return rowCount ?? 0;
  },
};

/**
 * The engine's store in PostgreSQL: the repository, its transitions in the transaction they are
 * handed, and the deadline watcher's queries on the pool.
 */
export function postgresSagaStore(pool: Pool): SagaStore<PoolClient> {
  return {
    insert: (tx, saga) => sagaRepository.insert(tx, saga),
    lock: (tx, id) => sagaRepository.lock(tx, id),
    lockMany: (tx, ids) => sagaRepository.lockMany(tx, ids),
    save: (tx, saga) => sagaRepository.save(tx, saga),
    log: (tx, sagaId, entry) => sagaRepository.log(tx, sagaId, entry),
    restartWaits: (tx, left) => sagaRepository.restartWaits(tx, left),
    afterCommit,
    due: (limit) => sagaRepository.due(pool, limit),
    postpone: (ids) => sagaRepository.postpone(pool, ids),
  };
}
