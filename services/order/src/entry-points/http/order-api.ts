import { orderId } from '@shop/contracts';
import { errorResponse, operatorOperation, serviceDocument, type OpenApiDocument } from '@shop/http';
import { z } from 'zod';
import { orderStatus, placeOrderRequest } from '../../domain/order';
import { orderSummarySchema, orderViewSchema } from '../../domain/order-view';
import { livePaths } from './live-api';

// The order API's requests and answers as zod schemas: order-routes.ts parses and types with
// them, and the OpenAPI document below is generated from the very same objects.

export const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .meta({ description: 'Makes the request safe to retry: the same key with the same body answers the same order.' });

export const orderIdParam = z.object({ id: z.uuid('expected an order id (a UUID)').meta({ description: 'The order id.' }) });

export const listQuery = z.object({
  status: orderStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.uuid('expected the nextCursor of a previous page').optional().meta({ description: 'The `nextCursor` of the previous page.' }),
  // Several orders by id in one request (a load script following thousands of sagas).
  ids: z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.uuid('expected comma-separated order ids (UUIDs)')).min(1).max(100, 'at most 100 ids'))
    .optional()
    .meta({ description: 'Comma-separated order ids (up to 100): these orders only.' }),
});

const EXAMPLE_ORDER_ID = '6a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

const orderAccepted = z
  .object({ orderId, status: orderStatus })
  .meta({ id: 'OrderAccepted', examples: [{ orderId: EXAMPLE_ORDER_ID, status: 'PENDING' }] });
export type OrderAccepted = z.output<typeof orderAccepted>;

const orderPage = z
  .object({
    orders: z.array(orderSummarySchema).meta({ description: 'Newest first.' }),
    nextCursor: z.uuid().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last one.' }),
  })
  .meta({ id: 'OrderPage' });
export type OrderPage = z.output<typeof orderPage>;

/** The README's order that confirms. */
const confirmingOrder = {
  customerId: 'c-42',
  email: 'ada@example.com',
  items: [
    { sku: 'SKU-MUG', quantity: 2 },
    { sku: 'SKU-TEA', quantity: 1 },
  ],
  shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  paymentMethod: 'tok_visa',
};

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });

export const orderApi: OpenApiDocument = serviceDocument({
  service: 'order',
  description:
    'Takes orders and shows how each one goes: `POST /orders` answers 202 at once and starts the order saga (stock, payment, shipment) over RabbitMQ; `GET /orders/{id}` follows it.',
  tags: [
    { name: 'orders', description: "The shop's API: place an order, follow it." },
    { name: 'live page', description: 'What the live page at `/live/` reads: its settings and the sagas as they run.' },
  ],
  paths: {
    '/orders': {
      post: {
        operationId: 'placeOrder',
        summary: 'Place an order',
        description: 'Stores the order as PENDING and starts its saga in one transaction; never waits on another service.',
        tags: ['orders'],
        requestParams: { header: z.object({ 'Idempotency-Key': idempotencyKey }) },
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: placeOrderRequest,
              examples: { confirms: { summary: 'An order that confirms', value: confirmingOrder } },
            },
          },
        },
        responses: {
          202: {
            description: 'Accepted: the saga has started. Follow the order at `Location`.',
            headers: z.object({
              Location: z.string().meta({ description: 'The order: `/orders/{orderId}`.', example: `/orders/${EXAMPLE_ORDER_ID}` }),
              'Idempotent-Replayed': z
                .literal('true')
                .optional()
                .meta({ description: 'The order placed earlier with this Idempotency-Key.' }),
            }),
            content: json(orderAccepted),
          },
          400: errorResponse(
            'A field is invalid (`validation_failed`, each one in `details.fields`), or the body is not JSON (`invalid_json`).',
          ),
          409: errorResponse('The Idempotency-Key was used with another body (`idempotency_key_reused`).'),
          413: errorResponse('The body is over the size limit (`body_too_large`).'),
          415: errorResponse('The body is not `application/json` (`unsupported_media_type`).'),
          429: {
            ...errorResponse('Too many orders a minute from this address (`rate_limited`, ORDER_RATE_LIMIT_PER_MINUTE); nothing stored.'),
            headers: z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait.' }) }),
          },
        },
      },
      get: operatorOperation({
        operationId: 'listOrders',
        summary: 'List orders, newest first',
        description: 'By status, or by ids; a page at a time.',
        requestParams: { query: listQuery },
        responses: {
          200: { description: 'A page of orders.', content: json(orderPage) },
          400: errorResponse('A query parameter is invalid (`validation_failed`).'),
        },
      }),
    },
    '/orders/{id}': {
      get: {
        operationId: 'getOrder',
        summary: 'Follow an order',
        description: 'Its status, priced lines, total, trace id and saga steps.',
        tags: ['orders'],
        requestParams: { path: orderIdParam },
        responses: {
          200: { description: 'The order.', content: json(orderViewSchema) },
          400: errorResponse('The id is not a UUID (`validation_failed`).'),
          404: errorResponse('No such order (`not_found`).'),
        },
      },
    },
    ...livePaths,
  },
});
