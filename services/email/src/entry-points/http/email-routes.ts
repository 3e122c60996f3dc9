import { z } from 'zod';
import type { Pool } from '@shop/db';
import { AppError, operatorOnly, parseRequest, type Express } from '@shop/http';
import { emailRepository } from '../../data-access/email-repository';

const emailQuery = z.object({ orderId: z.uuid() });

/**
 * Read-only inspection for curl and tests: what the customer was sent about one order, an
 * operator endpoint that asks for `operatorToken` (OPERATOR_TOKEN).
 */
export function emailRoutes(pool: Pool, operatorToken: string | undefined) {
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    app.get('/emails', operator, async (req, res) => {
      const { orderId } = parseRequest(emailQuery, req.query, 'query');
      const email = await emailRepository.find(pool, orderId);
      if (!email) throw AppError.notFound(`email for order ${orderId}`);
      res.json(email);
    });
  };
}
