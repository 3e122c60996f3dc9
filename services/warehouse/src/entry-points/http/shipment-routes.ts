import type { Pool } from '@shop/db';
import { AppError, operatorOnly, parseRequest, serveApiDocs, type Express } from '@shop/http';
import { shipmentRepository } from '../../data-access/shipment-repository';
import { shipmentQuery, warehouseApi } from './shipment-api';

/**
 * Read-only inspection for curl: one order's shipment, an operator endpoint that asks for
 * `operatorToken` (OPERATOR_TOKEN). Its OpenAPI document (shipment-api.ts) is served at
 * /openapi.json and /docs.
 */
export function shipmentRoutes(pool: Pool, operatorToken: string | undefined) {
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    serveApiDocs(app, warehouseApi);
    app.get('/shipments', operator, async (req, res) => {
      const query = parseRequest(shipmentQuery, req.query, 'query');
      const shipment = await shipmentRepository.find(pool, query.orderId);
      if (!shipment) throw AppError.notFound(`shipment for order ${query.orderId}`);
      res.json(shipment);
    });
  };
}
