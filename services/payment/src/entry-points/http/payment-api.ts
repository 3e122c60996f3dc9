import { orderId } from '@shop/contracts';
import { errorResponse, operatorOperation, serviceDocument, type OpenApiDocument } from '@shop/http';
import { z } from 'zod';
import { paymentSchema } from '../../data-access/payment-repository';

// The payment service's operator endpoint: payment-routes.ts parses its query with the schema
// below, its answer is typed by the repository's schema, and the OpenAPI document is generated from both.

export const paymentQuery = z.object({ orderId: orderId.meta({ description: 'The order id.' }) });

export const paymentApi: OpenApiDocument = serviceDocument({
  service: 'payment',
  description: 'Charges and refunds orders through the card provider. Over HTTP it answers only operators.',
  paths: {
    '/payments': {
      get: operatorOperation(
        {
          operationId: 'getPayment',
          summary: "One order's payment and its refund",
          requestParams: { query: paymentQuery },
          responses: {
            200: { description: 'The payment.', content: { 'application/json': { schema: paymentSchema } } },
            400: errorResponse('`orderId` is missing or not a UUID (`validation_failed`).'),
          },
        },
        'No payment for this order (`not_found`)',
      ),
    },
  },
});
