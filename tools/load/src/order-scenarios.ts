import { randomUUID } from 'node:crypto';
import type { Scenario } from './load-settings';

const SKUS = ['SKU-COFFEE', 'SKU-MUG', 'SKU-TEA', 'SKU-GRINDER'];

/** A POST /orders body that ends the way `scenario` says, using the README's test triggers. */
export function orderFor(scenario: Scenario) {
  const id = randomUUID().slice(0, 8);
  const sku = SKUS[Math.floor(Math.random() * SKUS.length)]!;
  return {
    customerId: `load-${id}`,
    email: `load-${id}@example.com`,
    // SKU-RARE has one unit in stock: asking for two is always out of stock.
    items: scenario === 'out-of-stock' ? [{ sku: 'SKU-RARE', quantity: 2 }] : [{ sku, quantity: 1 + Math.floor(Math.random() * 3) }],
    shippingAddress: {
      name: 'Load Test',
      line1: '1 Rate St',
      city: 'Berlin',
      postalCode: '10115',
      country: scenario === 'undeliverable' ? 'AQ' : 'DE',
    },
    paymentMethod: scenario === 'declined' ? 'tok_chargeDeclined' : 'tok_visa',
  };
}

export function pickScenario(mix: Array<[Scenario, number]>, random = Math.random()): Scenario {
  let sum = 0;
  for (const [scenario, share] of mix) {
    sum += share;
    if (random < sum) return scenario;
  }
  return mix[mix.length - 1]![0];
}
