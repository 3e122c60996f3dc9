import { randomUUID } from 'node:crypto';

/** A valid POST /orders body; tests override what their scenario is about. */
export function buildOrder(overrides: Record<string, unknown> = {}) {
  return {
    customerId: `customer-${randomUUID().slice(0, 8)}`,
    email: 'ada@example.com',
    items: [
      { sku: 'SKU-MUG', quantity: 2 },
      { sku: 'SKU-TEA', quantity: 1 },
    ],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    paymentMethod: 'tok_visa',
    ...overrides,
  };
}

export async function post(baseUrl: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}
