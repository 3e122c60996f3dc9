import { orderId } from '@shop/contracts';
import type { Pool } from '@shop/db';
import { AppError, operatorOnly, parseRequest, type Express } from '@shop/http';
import { z } from 'zod';
import { shipmentRepository } from '../../data-access/shipment-repository';

const shipmentQuery = z.object({ orderId });

/** Read-only inspection for curl: one order's shipment, an operator endpoint that asks for `operatorToken` (OPERATOR_TOKEN). */
export function shipmentRoutes(pool: Pool, operatorToken: string | undefined) {
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    app.get('/shipments', operator, async (req, res) => {
      const query = parseRequest(shipmentQuery, req.query, 'query');
      const shipment = await shipmentRepository.find(pool, query.orderId);
      if (!shipment) throw AppError.notFound(`shipment for order ${query.orderId}`);
      res.json(shipment);
    });
  };
}
