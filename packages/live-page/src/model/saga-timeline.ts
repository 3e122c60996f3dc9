import type { LiveStep, LiveStepAction } from '../protocol.js';

/** One command of the saga: an invoke of a step or a compensation, from sent to answered. */
export interface TimelineEntry {
  step: string;
  action: LiveStepAction;
  state: 'sent' | 'succeeded' | 'failed' | 'timed-out';
  /** The participant's reason when it failed, or the log row's detail. */
  detail: string | null;
  /** 1, plus one per `resent` row. */
  attempts: number;
  /** Epoch milliseconds; null when the `started` row was not received. */
  sentAt: number | null;
  answeredAt: number | null;
}

/**
 * Folds an order's step log rows (in id order) into one entry per command, in the order they
 * ran: the invokes, then the compensations, which the saga runs in reverse step order. The same
 * fold as the order service's GET /orders/{id} view.
 */
export function sagaTimeline(steps: readonly LiveStep[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const row of steps) {
    const at = Date.parse(row.at);
    let entry = entries.findLast((e) => e.step === row.step && e.action === row.action);
    if (row.outcome === 'started' || entry === undefined) {
      entry = {
        step: row.step,
        action: row.action,
        state: 'sent',
        detail: null,
        attempts: 1,
        sentAt: row.outcome === 'started' ? at : null,
        answeredAt: null,
      };
      entries.push(entry);
      if (row.outcome === 'started') continue;
    }
    if (row.outcome === 'resent') {
      entry.attempts += 1;
      continue;
    }
    entry.state = row.outcome;
    entry.detail = row.detail;
    entry.answeredAt = at;
  }
  return entries;
}

/** How long the command waited for its answer, in milliseconds; null until both ends are known. */
export function durationOf(entry: TimelineEntry): number | null {
  return entry.sentAt === null || entry.answeredAt === null ? null : entry.answeredAt - entry.sentAt;
}

/** `830 ms`, `1.25 s`, `42 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) return `${(ms / 1_000).toFixed(2)} s`;
  return `${Math.round(ms / 1_000)} s`;
}
