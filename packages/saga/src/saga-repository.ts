import type { Queryable } from '@shop/db';
import type { TraceCarrier } from '@shop/messaging';

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
  traceContext: row.trace_context,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const sagaRepository = {
  async insert(db: Queryable, saga: Pick<SagaInstance, 'id' | 'sagaType' | 'data' | 'traceContext'>): Promise<void> {
    await db.query(
      `INSERT INTO saga_instances (id, saga_type, state, step_index, data, trace_context) VALUES ($1, $2, 'RUNNING', 0, $3, $4)`,
      [saga.id, saga.sagaType, JSON.stringify(saga.data), saga.traceContext],
    );
  },

  /** Locks the saga for the rest of the transaction: replies and deadlines for it are handled one at a time. */
  async lock<D>(db: Queryable, id: string): Promise<SagaInstance<D> | undefined> {
    const { rows } = await db.query<InstanceRow>('SELECT * FROM saga_instances WHERE id = $1 FOR UPDATE', [id]);
    return rows[0] && toInstance<D>(rows[0]);
  },

  async find<D>(db: Queryable, id: string): Promise<SagaInstance<D> | undefined> {
    const { rows } = await db.query<InstanceRow>('SELECT * FROM saga_instances WHERE id = $1', [id]);
    return rows[0] && toInstance<D>(rows[0]);
  },

  async save(db: Queryable, saga: SagaInstance): Promise<void> {
    await db.query(
      `UPDATE saga_instances
          SET state = $2, step_index = $3, data = $4, awaiting_message_id = $5, deadline_at = $6, attempt = $7,
              failure_reason = $8, trace_context = $9, wait_ms = $10, updated_at = now()
        WHERE id = $1`,
      [
        saga.id,
        saga.state,
        saga.stepIndex,
        JSON.stringify(saga.data),
        saga.awaitingMessageId,
        saga.deadlineAt,
        saga.attempt,
        saga.failureReason,
        saga.traceContext,
        saga.waitMs,
      ],
    );
  },

  /** The awaited commands just left the outbox: their deadlines count from now. */
  async restartWaits(db: Queryable, publishedIds: string[]): Promise<void> {
    await db.query(
      `UPDATE saga_instances SET deadline_at = now() + wait_ms * interval '1 millisecond'
        WHERE awaiting_message_id = ANY($1::uuid[]) AND deadline_at IS NOT NULL`,
      [publishedIds],
    );
  },

  async stillInOutbox(db: Queryable, messageId: string): Promise<boolean> {
    return ((await db.query('SELECT 1 FROM outbox WHERE message_id = $1', [messageId])).rowCount ?? 0) > 0;
  },

  async log(db: Queryable, sagaId: string, entry: Omit<StepLogEntry, 'at'>): Promise<void> {
    await db.query('INSERT INTO saga_step_log (saga_id, step, action, outcome, detail) VALUES ($1, $2, $3, $4, $5)', [
      sagaId,
      entry.step,
      entry.action,
      entry.outcome,
      entry.detail,
    ]);
  },

  async history(db: Queryable, sagaId: string): Promise<StepLogEntry[]> {
    const { rows } = await db.query<StepLogEntry>('SELECT step, action, outcome, detail, at FROM saga_step_log WHERE saga_id = $1 ORDER BY id', [
      sagaId,
    ]);
    return rows;
  },

  /** Sagas whose awaited reply is late, oldest first. */
  async due(db: Queryable, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      'SELECT id FROM saga_instances WHERE deadline_at <= now() ORDER BY deadline_at LIMIT $1',
      [limit],
    );
    return rows.map((row) => row.id);
  },
};
