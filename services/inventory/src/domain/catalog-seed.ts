/**
 * The demo catalog. Stock is large enough for load tests, except SKU-RARE whose single unit makes
 * "out of stock" easy to trigger. `npm run reset-stock` puts these numbers back.
 */
export const catalogSeed = [
  { sku: 'SKU-COFFEE', name: 'Coffee beans 1 kg', unitPriceCents: 1890, stock: 1_000_000 },
  { sku: 'SKU-MUG', name: 'Enamel mug', unitPriceCents: 1200, stock: 1_000_000 },
  { sku: 'SKU-TEA', name: 'Green tea 100 g', unitPriceCents: 750, stock: 1_000_000 },
  { sku: 'SKU-GRINDER', name: 'Hand grinder', unitPriceCents: 4500, stock: 1_000_000 },
  { sku: 'SKU-RARE', name: 'Limited edition kettle', unitPriceCents: 9900, stock: 1 },
] as const;
