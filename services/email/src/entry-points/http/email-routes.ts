import { z } from 'zod';
import type { Pool } from '@shop/db';
import { AppError, parseRequest, type Express } from '@shop/http';
import { emailRepository } from '../../data-access/email-repository';

const emailQuery = z.object({ orderId: z.uuid() });

/** Read-only inspection for curl and tests: what the customer was sent about one order. */
export function emailRoutes(pool: Pool) {
  return (app: Express) => {
    app.get('/emails', async (req, res) => {
      const { orderId } = parseRequest(emailQuery, req.query, 'query');
      const email = await emailRepository.find(pool, orderId);
      if (!email) throw AppError.notFound(`email for order ${orderId}`);
      res.json(email);
    });
  };
}
