import { orderId, sku } from '@shop/contracts';
import { errorResponse, operatorOperation, serviceDocument, type OpenApiDocument } from '@shop/http';
import { z } from 'zod';
import { reservationSchema } from '../../data-access/reservation-repository';
import { productSchema } from '../../data-access/stock-repository';

// The inventory service's operator endpoints as zod schemas: stock-routes.ts parses with them,
// its answers are typed by the repositories' schemas, and the OpenAPI document below is
// generated from both.

export const skuParam = z.object({ sku });
export const reservationParams = z.object({ orderId });

const stockList = z.object({ products: z.array(productSchema).meta({ description: 'By SKU.' }) }).meta({ id: 'StockList' });
export type StockList = z.output<typeof stockList>;

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const badParam = errorResponse('A path parameter is invalid (`validation_failed`).');

export const inventoryApi: OpenApiDocument = serviceDocument({
  service: 'inventory',
  description: 'Owns the catalog (SKU, name, price, stock) and reserves stock for orders. Over HTTP it answers only operators.',
  paths: {
    '/stock': {
      get: operatorOperation({
        operationId: 'listStock',
        summary: 'The catalog with its stock',
        responses: { 200: { description: 'Every product of the catalog.', content: json(stockList) } },
      }),
    },
    '/stock/{sku}': {
      get: operatorOperation(
        {
          operationId: 'getStock',
          summary: "One product's stock",
          requestParams: { path: skuParam },
          responses: { 200: { description: 'The product.', content: json(productSchema) }, 400: badParam },
        },
        'No such SKU (`not_found`)',
      ),
    },
    '/reservations/{orderId}': {
      get: operatorOperation(
        {
          operationId: 'getReservation',
          summary: "One order's stock reservation",
          requestParams: { path: reservationParams },
          responses: { 200: { description: 'What reserving the stock came to.', content: json(reservationSchema) }, 400: badParam },
        },
        'No reservation for this order (`not_found`)',
      ),
    },
  },
});
