import { z } from 'zod';

export const orderId = z.uuid();
export const sku = z.string().min(1).max(64);
export const cents = z.number().int().nonnegative();
export const currency = z.string().regex(/^[A-Z]{3}$/);

export const orderItem = z.object({ sku, quantity: z.number().int().min(1).max(100) });
export type OrderItem = z.infer<typeof orderItem>;

/** An order line once inventory has priced it. */
export const pricedLine = orderItem.extend({ name: z.string(), unitPriceCents: cents });
export type PricedLine = z.infer<typeof pricedLine>;

export const shippingAddress = z.object({
  name: z.string().min(1).max(200),
  line1: z.string().min(1).max(200),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code such as DE'),
});
export type ShippingAddress = z.infer<typeof shippingAddress>;
