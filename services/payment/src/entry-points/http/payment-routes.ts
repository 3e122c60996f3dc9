import type { Pool } from '@shop/db';
import { AppError, operatorOnly, parseRequest, serveApiDocs, type Express } from '@shop/http';
import { paymentRepository } from '../../data-access/payment-repository';
import { paymentApi, paymentQuery } from './payment-api';

/**
 * Read-only inspection for curl: one order's payment and its refund, an operator endpoint that
 * asks for `operatorToken` (OPERATOR_TOKEN). Its OpenAPI document (payment-api.ts) is served at
 * /openapi.json and /docs.
 */
export function paymentRoutes(pool: Pool, operatorToken: string | undefined) {
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    serveApiDocs(app, paymentApi);
    app.get('/payments', operator, async (req, res) => {
      const query = parseRequest(paymentQuery, req.query, 'query');
      const found = await paymentRepository.find(pool, query.orderId);
      if (!found) throw AppError.notFound(`payment for order ${query.orderId}`);
      res.json(found);
    });
  };
}
