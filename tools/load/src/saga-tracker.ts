import { setTimeout as sleep } from 'node:timers/promises';

export interface SagaOutcome {
  orderId: string;
  status: 'CONFIRMED' | 'CANCELLED' | 'PENDING';
  reason: string | null;
  /** Accepted (the order row's creation) to final status (its last update), both server clocks. */
  endToEndMs: number | null;
  finishedAt: number | null;
}

interface OrderView {
  status: SagaOutcome['status'];
  cancellationReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Waits until every order is CONFIRMED or CANCELLED, or the timeout passes, asking 16 at a time. */
export async function trackSagas(url: string, orderIds: string[], timeoutMs: number, onProgress: (settled: number) => void): Promise<SagaOutcome[]> {
  const deadline = Date.now() + timeoutMs;
  const settled = new Map<string, SagaOutcome>();
  let pending = [...orderIds];
  while (pending.length > 0 && Date.now() < deadline) {
    const stillPending: string[] = [];
    for (let i = 0; i < pending.length; i += 16) {
      const batch = pending.slice(i, i + 16);
      const views = await Promise.all(batch.map((id) => fetch(`${url}/orders/${id}`).then((r) => r.json() as Promise<OrderView>).catch(() => undefined)));
      views.forEach((view, j) => {
        const id = batch[j]!;
        if (!view || view.status === 'PENDING') return stillPending.push(id);
        const finishedAt = Date.parse(view.updatedAt);
        settled.set(id, { orderId: id, status: view.status, reason: view.cancellationReason, endToEndMs: finishedAt - Date.parse(view.createdAt), finishedAt });
      });
    }
    pending = stillPending;
    onProgress(settled.size);
    if (pending.length > 0) await sleep(500);
  }
  for (const id of pending) settled.set(id, { orderId: id, status: 'PENDING', reason: null, endToEndMs: null, finishedAt: null });
  return orderIds.map((id) => settled.get(id)!);
}
