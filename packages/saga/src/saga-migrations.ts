import type { Migration } from '@shop/db';

export const sagaMigrations: Migration[] = [
  {
    id: '0000-saga-instances',
    sql: `
      CREATE TABLE saga_instances (
        id                  uuid PRIMARY KEY,
        saga_type           text NOT NULL,
        state               text NOT NULL CHECK (state IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED')),
        step_index          integer NOT NULL,
        data                jsonb NOT NULL,
        awaiting_message_id uuid,
        -- Deadlines live here, not in timers, so a restarted service resumes them.
        deadline_at         timestamptz,
        attempt             integer NOT NULL DEFAULT 0,
        failure_reason      text,
        trace_context       jsonb NOT NULL DEFAULT '{}',
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX saga_instances_due ON saga_instances (deadline_at) WHERE deadline_at IS NOT NULL;
      CREATE TABLE saga_step_log (
        id      bigserial PRIMARY KEY,
        saga_id uuid NOT NULL REFERENCES saga_instances (id),
        step    text NOT NULL,
        action  text NOT NULL CHECK (action IN ('invoke', 'compensate')),
        outcome text NOT NULL,
        detail  text,
        at      timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX saga_step_log_saga ON saga_step_log (saga_id, id);
    `,
  },
  {
    id: '0001-saga-wait',
    sql: `
      -- How long the awaited reply may take, so the deadline can restart from when the command
      -- actually left the outbox (a broker outage is not the participant's delay).
      ALTER TABLE saga_instances ADD COLUMN wait_ms integer NOT NULL DEFAULT 0;
      CREATE INDEX saga_instances_awaiting ON saga_instances (awaiting_message_id) WHERE awaiting_message_id IS NOT NULL;
    `,
  },
  {
    id: '0002-saga-step-log-deferred-fk',
    sql: `
      -- Step log rows and the saga row they belong to are written together at the commit (deferred
      -- writes), in whichever order their tables were first touched: check the reference at the end.
      ALTER TABLE saga_step_log ALTER CONSTRAINT saga_step_log_saga_id_fkey DEFERRABLE INITIALLY DEFERRED;
    `,
  },
  {
    id: '0003-drop-saga-awaiting-index',
    sql: `
      -- Deadlines restart by saga id now (the primary key); this index only slowed every update.
      DROP INDEX IF EXISTS saga_instances_awaiting;
    `,
  },
  {
    id: '0004-saga-failure-kind',
    sql: `
      -- Which step failed and how (the failure reply's type, or timed-out): failure_reason is prose
      -- for people, these label the saga's outcome metrics.
      ALTER TABLE saga_instances ADD COLUMN failed_step text, ADD COLUMN failure_kind text;
    `,
  },
];
