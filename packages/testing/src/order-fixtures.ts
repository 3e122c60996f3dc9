import { randomUUID } from 'node:crypto';

/** A valid POST /orders body that confirms (README's test triggers); tests override what they are about. */
export function buildOrder(overrides: Record<string, unknown> = {}) {
  return {
    customerId: `customer-${randomUUID().slice(0, 8)}`,
    email: `buyer-${randomUUID().slice(0, 8)}@example.com`,
    items: [
      { sku: 'SKU-MUG', quantity: 2 },
      { sku: 'SKU-TEA', quantity: 1 },
    ],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    paymentMethod: 'tok_visa',
    ...overrides,
  };
}
