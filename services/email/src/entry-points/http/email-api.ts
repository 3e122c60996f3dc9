import { orderId } from '@shop/contracts';
import { errorResponse, operatorOperation, serviceDocument, type OpenApiDocument } from '@shop/http';
import { z } from 'zod';
import { sentEmailSchema } from '../../data-access/email-repository';

// The email service's operator endpoint: email-routes.ts parses its query with the schema
// below, its answer is typed by the repository's schema, and the OpenAPI document is generated from both.

export const emailQuery = z.object({ orderId: orderId.meta({ description: 'The order id.' }) });

export const emailApi: OpenApiDocument = serviceDocument({
  service: 'email',
  description: 'Tells the customer how the order ended, once. Over HTTP it answers only operators.',
  paths: {
    '/emails': {
      get: operatorOperation(
        {
          operationId: 'getEmail',
          summary: "What one order's customer was sent",
          requestParams: { query: emailQuery },
          responses: {
            200: { description: 'The email.', content: { 'application/json': { schema: sentEmailSchema } } },
            400: errorResponse('`orderId` is missing or not a UUID (`validation_failed`).'),
          },
        },
        'No email sent for this order (`not_found`)',
      ),
    },
  },
});
