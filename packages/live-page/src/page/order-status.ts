import type { OrderEntry } from '../model/order-book.js';
import type { TimelineEntry } from '../model/saga-timeline.js';

/**
 * The status the page shows: the order's, with COMPENSATING for a pending order whose saga is
 * undoing its steps (the order stays PENDING until every compensation is confirmed).
 */
export function shownStatus(entry: OrderEntry, timeline: readonly TimelineEntry[]): string {
  const status = entry.order?.status ?? 'PENDING';
  if (status === 'PENDING' && timeline.some((t) => t.action === 'compensate')) return 'COMPENSATING';
  return status;
}

/** ✓ answered, ✗ failed, ◷ timed out, … waiting for the answer (glyphs every system font has). */
export function stateMark(state: TimelineEntry['state']): string {
  switch (state) {
    case 'succeeded':
      return '✓';
    case 'failed':
      return '✗';
    case 'timed-out':
      return '◷';
    case 'sent':
      return '…';
  }
}

/** `reserve-stock` → `reserve`: the list's trail is short; the detail names steps in full. */
export function shortStepName(step: string): string {
  return step.split('-')[0] ?? step;
}
