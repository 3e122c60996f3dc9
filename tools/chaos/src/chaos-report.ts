import type { FaultRecord } from './fault-injector';
import type { InvariantResult } from './invariant-checks';
import type { PlacedOrder } from './order-load';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** In the order the faults began: a kill is noted once its service is back, an episode when it ends. */
export function faultTable(faults: FaultRecord[]): string {
  const inOrder = [...faults].sort((a, b) => a.atSeconds - b.atSeconds);
  return table(
    ['at (s)', 'fault injected', 'result'],
    inOrder.map((f) => [f.atSeconds.toFixed(1), f.fault, f.result]),
  );
}

export function invariantTable(results: InvariantResult[]): string {
  return table(
    ['', 'invariant', 'detail'],
    results.map((r) => [r.ok ? 'ok' : 'FAIL', r.invariant, r.detail]),
  );
}

export function outcomeTable(
  placed: PlacedOrder[],
  orders: Array<{ id: string; status: string; cancellation_reason: string | null }>,
): string {
  const statusOf = new Map(orders.map((o) => [o.id, o.status]));
  const counts = new Map<string, Map<string, number>>();
  for (const order of placed) {
    const row = counts.get(order.scenario) ?? new Map<string, number>();
    const status = statusOf.get(order.orderId) ?? 'MISSING';
    row.set(status, (row.get(status) ?? 0) + 1);
    counts.set(order.scenario, row);
  }
  const retried = placed.filter((p) => p.attempts > 1).length;
  const mostAttempts = Math.max(0, ...placed.map((p) => p.attempts));
  // Orders meant to confirm that were cancelled: what the faults cost, by the saga's reason.
  const meantToConfirm = new Set(placed.filter((p) => p.scenario === 'confirm').map((p) => p.orderId));
  const reasons = new Map<string, number>();
  for (const order of orders) {
    if (order.status !== 'CANCELLED' || !meantToConfirm.has(order.id)) continue;
    const reason = order.cancellation_reason ?? '(no reason)';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const cancelledLine =
    reasons.size === 0 ? '' : `\ncancelled although meant to confirm: ${[...reasons].map(([reason, n]) => `${n}x ${reason}`).join('; ')}`;
  return `${table(
    ['scenario', 'orders', 'CONFIRMED', 'CANCELLED', 'other'],
    [...counts].map(([scenario, row]) => {
      const total = [...row.values()].reduce((a, b) => a + b, 0);
      const other = total - (row.get('CONFIRMED') ?? 0) - (row.get('CANCELLED') ?? 0);
      return [scenario, String(total), String(row.get('CONFIRMED') ?? 0), String(row.get('CANCELLED') ?? 0), String(other)];
    }),
  )}\n${retried} of ${placed.length} POSTs needed more than one attempt (an order service down), at most ${mostAttempts}; each kept its Idempotency-Key${cancelledLine}`;
}
