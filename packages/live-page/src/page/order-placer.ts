/** The answer to one POST /orders: the new order's id, or why there is none. */
export type PlaceResult = { ok: true; orderId: string } | { ok: false; message: string };

/** POST /orders, public and same-origin: no token needed. */
export async function placeOrder(body: Record<string, unknown>): Promise<PlaceResult> {
  try {
    const response = await fetch('../orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => ({}))) as { orderId?: string; error?: { message?: string } };
    if (response.status === 202 && answer.orderId) return { ok: true, orderId: answer.orderId };
    return { ok: false, message: `POST /orders answered ${response.status}: ${answer.error?.message ?? response.statusText}` };
  } catch (error) {
    return { ok: false, message: `POST /orders failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Places `count` orders with at most `concurrency` requests in flight, reporting each answer as
 * it comes; a burst of a thousand does not open a thousand connections at once.
 */
export async function placeBurst(
  count: number,
  concurrency: number,
  body: () => Record<string, unknown>,
  onResult: (result: PlaceResult) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      onResult(await placeOrder(body()));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
