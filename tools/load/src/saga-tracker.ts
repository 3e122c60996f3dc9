import { setTimeout as sleep } from 'node:timers/promises';
import { operatorHeaders, operatorTokenProblem } from './operator-token';

export interface SagaOutcome {
  orderId: string;
  status: 'CONFIRMED' | 'CANCELLED' | 'PENDING';
  reason: string | null;
  /** Accepted (the order row's creation) to final status (its last update), both server clocks. */
  endToEndMs: number | null;
  /** When the order was accepted (server clock, ms since the epoch); null when it was never seen final. */
  acceptedAt: number | null;
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
 * Checks that GET /orders answers with `operatorToken`, before any order is placed; throws,
 * saying what to do about OPERATOR_TOKEN, when it does not.
 */
export async function checkOrderLookup(url: string, operatorToken: string | undefined): Promise<void> {
  const response = await fetch(`${url}/orders?limit=1`, { headers: operatorHeaders(operatorToken) });
  await response.body?.cancel();
  const problem = operatorTokenProblem(response.status, operatorToken);
  if (problem) throw new Error(problem);
  if (!response.ok) throw new Error(`GET /orders answered ${response.status}`);
}

/**
 * Waits until every order is CONFIRMED or CANCELLED, or the timeout passes. It asks for 100
 * orders per request with GET /orders (an operator endpoint, hence `operatorToken`), one query on
 * the order service's side: following thousands of sagas one `GET /orders/{id}` at a time would
 * load the service under test more than the sagas themselves. A 401 or 404 from it throws, saying
 * what to do about OPERATOR_TOKEN; other failures are tried again.
 */
export async function trackSagas(
  url: string,
  orderIds: string[],
  timeoutMs: number,
  onProgress: (settled: number) => void,
  operatorToken?: string,
): Promise<SagaOutcome[]> {
  const deadline = Date.now() + timeoutMs;
  const settled = new Map<string, SagaOutcome>();
  let pending = [...orderIds];
  while (pending.length > 0 && Date.now() < deadline) {
    for (let i = 0; i < pending.length; i += LOOKUP_SIZE) {
      const batch = pending.slice(i, i + LOOKUP_SIZE);
      for (const order of await lookUp(url, batch, operatorToken)) {
        if (order.status === 'PENDING') continue;
        const finishedAt = Date.parse(order.updatedAt);
        settled.set(order.orderId, {
          orderId: order.orderId,
          status: order.status,
          reason: order.cancellationReason,
          endToEndMs: finishedAt - Date.parse(order.createdAt),
          acceptedAt: Date.parse(order.createdAt),
          finishedAt,
        });
      }
    }
    pending = pending.filter((id) => !settled.has(id));
    onProgress(settled.size);
    if (pending.length > 0) await sleep(500);
  }
  for (const id of pending)
    settled.set(id, { orderId: id, status: 'PENDING', reason: null, endToEndMs: null, acceptedAt: null, finishedAt: null });
  return orderIds.map((id) => settled.get(id)!);
}

/** The orders among `ids` (GET /orders?ids=); none when the service does not answer, as while it restarts. */
async function lookUp(url: string, ids: string[], operatorToken: string | undefined): Promise<OrderSummary[]> {
  const response = await fetch(`${url}/orders?limit=${LOOKUP_SIZE}&ids=${ids.join(',')}`, {
    headers: operatorHeaders(operatorToken),
  }).catch(() => undefined);
  if (!response) return [];
  const problem = operatorTokenProblem(response.status, operatorToken);
  if (problem) throw new Error(problem);
  if (!response.ok) {
    await response.body?.cancel();
    return [];
  }
  const page = (await response.json().catch(() => undefined)) as { orders?: OrderSummary[] } | undefined;
  return page?.orders ?? [];
}
