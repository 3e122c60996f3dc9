import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export type Scenario = 'confirm' | 'declined' | 'unserved' | 'unknown-sku';

export interface PlacedOrder {
  orderId: string;
  scenario: Scenario;
  email: string;
  /** POST attempts it took (the order service may be down when one is placed). */
  attempts: number;
}

const SCENARIOS: Array<[Scenario, number]> = [
  ['confirm', 0.7],
  ['declined', 0.1],
  ['unserved', 0.1],
  ['unknown-sku', 0.1],
];

function pickScenario(random: number): Scenario {
  let sum = 0;
  for (const [scenario, weight] of SCENARIOS) {
    sum += weight;
    if (random < sum) return scenario;
  }
  return 'confirm';
}

const SKUS = ['SKU-COFFEE', 'SKU-MUG', 'SKU-TEA', 'SKU-GRINDER'];

function bodyFor(scenario: Scenario, email: string) {
  const count = 1 + Math.floor(Math.random() * 3);
  const items = [...SKUS]
    .sort(() => Math.random() - 0.5)
    .slice(0, count)
    .map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * 3) }));
  if (scenario === 'unknown-sku') items.push({ sku: 'SKU-UNICORN', quantity: 1 });
  return {
    customerId: `chaos-${email.slice(0, 8)}`,
    email,
    items,
    shippingAddress: {
      name: 'Chaos Monkey',
      line1: '1 Fault Lane',
      city: 'Berlin',
      postalCode: '10115',
      country: scenario === 'unserved' ? 'AQ' : 'DE',
    },
    paymentMethod: scenario === 'declined' ? 'tok_chargeDeclined' : 'tok_visa',
  };
}

/**
 * Places one order, retrying with the same Idempotency-Key until the order service takes it: a
 * client that keeps its key can retry through a crash without ever ordering twice. With several
 * replicas of the order service, each attempt goes to the next one, as a load balancer would.
 */
async function placeOne(orderUrls: readonly string[], first: number, scenario: Scenario): Promise<PlacedOrder> {
  const email = `${randomUUID().slice(0, 12)}@chaos.example`;
  const body = JSON.stringify(bodyFor(scenario, email));
  const key = randomUUID();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(`${orderUrls[(first + attempt) % orderUrls.length]}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      if (response.status === 202)
        return { orderId: ((await response.json()) as { orderId: string }).orderId, scenario, email, attempts: attempt };
      if (response.status < 500) throw new Error(`POST /orders answered ${response.status}: ${await response.text()}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('POST /orders answered')) throw error;
    }
    if (attempt >= 120) throw new Error(`order not accepted after ${attempt} attempts`);
    await sleep(Math.min(2_000, 100 * attempt));
  }
}

/** Places `count` orders at `rate` per second whatever the answers take, and resolves with all of them. */
export async function placeOrders(
  orderUrls: readonly string[],
  count: number,
  rate: number,
  onPlaced: (done: number) => void,
): Promise<PlacedOrder[]> {
  const placing: Array<Promise<PlacedOrder>> = [];
  const started = performance.now();
  let done = 0;
  for (let i = 0; i < count; i += 1) {
    const due = started + (i * 1_000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    placing.push(
      placeOne(orderUrls, i, pickScenario(Math.random())).then((placed) => {
        done += 1;
        onPlaced(done);
        return placed;
      }),
    );
  }
  return Promise.all(placing);
}
