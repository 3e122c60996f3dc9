/**
 * The README's test triggers, as POST /orders bodies: each makes one path of the saga happen
 * (the fake card provider's test tokens, the warehouse's refused country, the one-off kettle).
 */
export interface OrderTrigger {
  id: string;
  label: string;
  /** What the saga should do with it, for the button's description. */
  expect: string;
  body(): Record<string, unknown>;
}

const london = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

/** A valid order that confirms; each trigger changes one thing. */
export function confirmedOrder(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const n = Math.floor(Math.random() * 1e9).toString(36);
  return {
    customerId: `live-page-${n}`,
    email: `live-page-${n}@example.com`,
    items: [
      { sku: 'SKU-MUG', quantity: 2 },
      { sku: 'SKU-TEA', quantity: 1 },
    ],
    shippingAddress: london,
    paymentMethod: 'tok_visa',
    ...overrides,
  };
}

export const ORDER_TRIGGERS: readonly OrderTrigger[] = [
  { id: 'confirmed', label: 'Confirmed', expect: 'every step succeeds', body: () => confirmedOrder() },
  {
    id: 'declined',
    label: 'Payment declined',
    expect: 'tok_chargeDeclined: the charge is declined, the stock released',
    body: () => confirmedOrder({ paymentMethod: 'tok_chargeDeclined' }),
  },
  {
    id: 'provider-timeout',
    label: 'Provider timeout',
    expect: 'tok_timeout: the charge step times out and is compensated',
    body: () => confirmedOrder({ paymentMethod: 'tok_timeout' }),
  },
  {
    id: 'country-refused',
    label: 'Country refused',
    expect: 'shipping to AQ is refused: the payment refunded, the stock released',
    body: () => confirmedOrder({ shippingAddress: { name: 'Scott', line1: 'Base 1', city: 'McMurdo', postalCode: '0000', country: 'AQ' } }),
  },
  {
    id: 'out-of-stock',
    label: 'Out of stock',
    expect: 'SKU-RARE × 2 (its stock is 1): cancelled at the first step',
    body: () => confirmedOrder({ items: [{ sku: 'SKU-RARE', quantity: 2 }] }),
  },
];
