import type { Pool } from '@shop/db';
import { AppError, operatorOnly, parseRequest, serveApiDocs, type Express } from '@shop/http';
import { emailRepository } from '../../data-access/email-repository';
import { emailApi, emailQuery } from './email-api';

/**
 * Read-only inspection for curl and tests: what the customer was sent about one order, an
 * operator endpoint that asks for `operatorToken` (OPERATOR_TOKEN). Its OpenAPI document
 * (email-api.ts) is served at /openapi.json and /docs.
 */
export function emailRoutes(pool: Pool, operatorToken: string | undefined) {
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    serveApiDocs(app, emailApi);
    app.get('/emails', operator, async (req, res) => {
      const { orderId } = parseRequest(emailQuery, req.query, 'query');
      const email = await emailRepository.find(pool, orderId);
      if (!email) throw AppError.notFound(`email for order ${orderId}`);
      res.json(email);
    });
  };
}
