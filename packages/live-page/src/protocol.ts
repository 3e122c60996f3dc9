/**
 * What the order service sends the live page. The page fetches `GET /live/config.json` once and
 * then reads `GET /live/events`, a server-sent event stream (operator endpoint: it shows every
 * order's saga, so it wants `Authorization: Bearer <OPERATOR_TOKEN>`).
 *
 * The stream's events:
 * - `steps` ({@link LiveStepsEvent}): the saga step log rows committed since the last one, and
 *   each touched order as it stands now. Its SSE `id` is the highest step row id it carries; a
 *   client that reconnects with `Last-Event-ID` gets what it missed (within the server's limit).
 * - `queues` ({@link LiveQueuesEvent}): each work queue's ready messages, every few seconds.
 */

/** A step of the saga definition, in order; `compensable` when it names an undo. */
export interface LiveSagaStep {
  name: string;
  compensable: boolean;
}

export interface LiveConfig {
  saga: { name: string; steps: LiveSagaStep[] };
  /**
   * Link templates: `{traceId}` and `{orderId}` are replaced by the order's. `null` when the
   * deployment has no such UI.
   */
  links: { trace: string | null; mail: string | null; queues: string | null };
}

export type LiveStepAction = 'invoke' | 'compensate';
export type LiveStepOutcome = 'started' | 'succeeded' | 'failed' | 'timed-out' | 'resent';

/** One row of the saga's step log: a command sent, answered, timed out, sent again. */
export interface LiveStep {
  /** The row's id: increasing, unique, in commit order only roughly. */
  id: number;
  orderId: string;
  step: string;
  action: LiveStepAction;
  outcome: LiveStepOutcome;
  detail: string | null;
  /** ISO 8601 */
  at: string;
}

export type LiveOrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

export interface LiveOrder {
  orderId: string;
  status: LiveOrderStatus;
  cancellationReason: string | null;
  traceId: string | null;
  totalCents: number | null;
  currency: string;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601 */
  updatedAt: string;
}

export interface LiveStepsEvent {
  steps: LiveStep[];
  orders: LiveOrder[];
}

export interface LiveQueuesEvent {
  /** ISO 8601 */
  at: string;
  queues: { name: string; ready: number | null }[];
}
