import { setTimeout as sleep } from 'node:timers/promises';

export interface SagaOutcome {
  orderId: string;
  status: 'CONFIRMED' | 'CANCELLED' | 'PENDING';
  reason: string | null;
  /** Accepted (the order row's creation) to final status (its last update), both server clocks. */
  endToEndMs: number | null;
  finishedAt: number | null;
}

interface OrderSummary {
  orderId: string;
  status: SagaOutcome['status'];
  cancellationReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Orders per lookup: the order service's `GET /orders?ids=` takes up to 100. */
const LOOKUP_SIZE = 100;

/**
 * Waits until every order is CONFIRMED or CANCELLED, or the timeout passes. It asks for 100
 * orders per request, one query on the order service's side: following thousands of sagas one
 * `GET /orders/{id}` at a time would load the service under test more than the sagas themselves.
 */
export async function trackSagas(
  url: string,
  orderIds: string[],
  timeoutMs: number,
  onProgress: (settled: number) => void,
): Promise<SagaOutcome[]> {
  const deadline = Date.now() + timeoutMs;
  const settled = new Map<string, SagaOutcome>();
  let pending = [...orderIds];
  while (pending.length > 0 && Date.now() < deadline) {
    for (let i = 0; i < pending.length; i += LOOKUP_SIZE) {
      const batch = pending.slice(i, i + LOOKUP_SIZE);
      const found = await fetch(`${url}/orders?limit=${LOOKUP_SIZE}&ids=${batch.join(',')}`)
        .then((r) => (r.ok ? (r.json() as Promise<{ orders: OrderSummary[] }>) : undefined))
        .catch(() => undefined);
      for (const order of found?.orders ?? []) {
        if (order.status === 'PENDING') continue;
        const finishedAt = Date.parse(order.updatedAt);
        settled.set(order.orderId, {
          orderId: order.orderId,
          status: order.status,
          reason: order.cancellationReason,
          endToEndMs: finishedAt - Date.parse(order.createdAt),
          finishedAt,
        });
      }
    }
    pending = pending.filter((id) => !settled.has(id));
    onProgress(settled.size);
    if (pending.length > 0) await sleep(500);
  }
  for (const id of pending) settled.set(id, { orderId: id, status: 'PENDING', reason: null, endToEndMs: null, finishedAt: null });
  return orderIds.map((id) => settled.get(id)!);
}
