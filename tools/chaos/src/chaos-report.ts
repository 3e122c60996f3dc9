import type { FaultRecord } from './fault-injector';
import type { InvariantResult } from './invariant-checks';
import type { PlacedOrder } from './order-load';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function faultTable(faults: FaultRecord[]): string {
  return table(['at (s)', 'fault injected', 'result'], faults.map((f) => [f.atSeconds.toFixed(1), f.fault, f.result]));
}

export function invariantTable(results: InvariantResult[]): string {
  return table(['', 'invariant', 'detail'], results.map((r) => [r.ok ? 'ok' : 'FAIL', r.invariant, r.detail]));
}

export function outcomeTable(placed: PlacedOrder[], statusOf: Map<string, string>): string {
  const counts = new Map<string, Map<string, number>>();
  for (const order of placed) {
    const row = counts.get(order.scenario) ?? new Map<string, number>();
    const status = statusOf.get(order.orderId) ?? 'MISSING';
    row.set(status, (row.get(status) ?? 0) + 1);
    counts.set(order.scenario, row);
  }
  const retried = placed.filter((p) => p.attempts > 1).length;
  return `${table(
    ['scenario', 'orders', 'CONFIRMED', 'CANCELLED', 'other'],
    [...counts].map(([scenario, row]) => {
      const total = [...row.values()].reduce((a, b) => a + b, 0);
      const other = total - (row.get('CONFIRMED') ?? 0) - (row.get('CANCELLED') ?? 0);
      return [scenario, String(total), String(row.get('CONFIRMED') ?? 0), String(row.get('CANCELLED') ?? 0), String(other)];
    }),
  )}\n${retried} of ${placed.length} POSTs needed more than one attempt (order service down); each kept its Idempotency-Key`;
}
