import { orderItem, shippingAddress, type PricedLine } from '@shop/contracts';
import { z } from 'zod';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

/** The body of POST /orders. Unknown fields are refused, so a misspelt one is named, not ignored. */
export const placeOrderRequest = z
  .object({
    customerId: z.string().trim().min(1).max(100),
    email: z.email('expected a valid email address'),
    items: z
      .array(orderItem.strict())
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
    shippingAddress: shippingAddress.strict(),
    paymentMethod: z.string().min(1).max(100),
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
