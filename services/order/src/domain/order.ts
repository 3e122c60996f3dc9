import { orderItem, shippingAddress, type PricedLine } from '@shop/contracts';
import { z } from 'zod';

/** Where an order stands: PENDING while its saga runs (or compensates), then CONFIRMED or CANCELLED. */
export const orderStatus = z.enum(['PENDING', 'CONFIRMED', 'CANCELLED']);
export type OrderStatus = z.output<typeof orderStatus>;

/** A lone UTF-16 surrogate: a high one not followed by a low one, or a low one not after a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Text the order can be stored and sent with: no NUL (PostgreSQL text and jsonb hold none) and no
 * lone surrogate (it is not Unicode text; jsonb refuses its `\ud800` escape). The field with one is
 * named in the 400. The email and the country match ASCII patterns, which leave both out already.
 */
const storable = <S extends z.ZodType<string>>(text: S) =>
  text.refine(
    (value) => !value.includes('\u0000') && !LONE_SURROGATE.test(value),
    'expected text without NUL characters or lone surrogates',
  );

const storableItem = orderItem.extend({ sku: storable(orderItem.shape.sku) }).strict();
const storableAddress = shippingAddress
  .extend({
    name: storable(shippingAddress.shape.name),
    line1: storable(shippingAddress.shape.line1),
    city: storable(shippingAddress.shape.city),
    postalCode: storable(shippingAddress.shape.postalCode),
  })
  .strict();

/** The body of POST /orders. Unknown fields are refused, so a misspelt one is named, not ignored. */
export const placeOrderRequest = z
  .object({
    customerId: storable(z.string().trim().min(1).max(100)),
    email: z.email('expected a valid email address'),
    items: z
      .array(storableItem)
      .min(1, 'expected at least 1 item')
      .max(50, 'expected at most 50 items')
      .superRefine((items, ctx) => {
        const seen = new Set<string>();
        items.forEach((item, index) => {
          if (seen.has(item.sku))
            ctx.addIssue({ code: 'custom', path: [index, 'sku'], message: `duplicate SKU ${item.sku}: put the quantity on one line` });
          seen.add(item.sku);
        });
      }),
    shippingAddress: storableAddress,
    paymentMethod: storable(z.string().min(1).max(100)),
  })
  .strict();

export type PlaceOrderRequest = z.infer<typeof placeOrderRequest>;

export interface Order extends PlaceOrderRequest {
  id: string;
  status: OrderStatus;
  currency: string;
  cancellationReason: string | null;
  lines: PricedLine[] | null;
  totalCents: number | null;
  traceId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const totalOf = (lines: PricedLine[]): number => lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);

/** The order as placed, and what the steps learn on the way. */
export interface OrderSagaData extends PlaceOrderRequest {
  orderId: string;
  currency: string;
  lines?: PricedLine[];
  totalCents?: number;
  paymentId?: string;
  shipmentId?: string;
}
