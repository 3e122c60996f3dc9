import { orderId } from '@shop/contracts';
import { errorResponse, operatorOperation, serviceDocument, type OpenApiDocument } from '@shop/http';
import { z } from 'zod';
import { shipmentSchema } from '../../data-access/shipment-repository';

// The warehouse service's operator endpoint: shipment-routes.ts parses its query with the schema
// below, its answer is typed by the repository's schema, and the OpenAPI document is generated from both.

export const shipmentQuery = z.object({ orderId: orderId.meta({ description: 'The order id.' }) });

export const warehouseApi: OpenApiDocument = serviceDocument({
  service: 'warehouse',
  description: 'Creates and cancels shipments for orders. Over HTTP it answers only operators.',
  paths: {
    '/shipments': {
      get: operatorOperation(
        {
          operationId: 'getShipment',
          summary: "One order's shipment",
          requestParams: { query: shipmentQuery },
          responses: {
            200: { description: 'The shipment, or why there is none.', content: { 'application/json': { schema: shipmentSchema } } },
            400: errorResponse('`orderId` is missing or not a UUID (`validation_failed`).'),
          },
        },
        'No shipment for this order (`not_found`)',
      ),
    },
  },
});
