import { orderId } from '@shop/contracts';
import type { Pool } from '@shop/db';
import { AppError, operatorOnly, parseRequest, type Express } from '@shop/http';
import { z } from 'zod';
import { paymentRepository } from '../../data-access/payment-repository';

const paymentQuery = z.object({ orderId });

/** Read-only inspection for curl: one order's payment and its refund, an operator endpoint that asks for `operatorToken` (OPERATOR_TOKEN). */
export function paymentRoutes(pool: Pool, operatorToken: string | undefined) {
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    app.get('/payments', operator, async (req, res) => {
      const query = parseRequest(paymentQuery, req.query, 'query');
      const found = await paymentRepository.find(pool, query.orderId);
      if (!found) throw AppError.notFound(`payment for order ${query.orderId}`);
      res.json(found);
    });
  };
}
