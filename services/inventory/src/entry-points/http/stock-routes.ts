import { orderId } from '@shop/contracts';
import { AppError, operatorOnly, parseRequest, type Express } from '@shop/http';
import { z } from 'zod';
import type { Pool } from '@shop/db';
import { reservationRepository } from '../../data-access/reservation-repository';
import { stockRepository } from '../../data-access/stock-repository';

/**
 * Read-only inspection for curl: the catalog with stock, one SKU, one order's reservation. All
 * three are operator endpoints that ask for `operatorToken` (OPERATOR_TOKEN).
 */
export function stockRoutes(pool: Pool, operatorToken: string | undefined) {
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    app.get('/stock', operator, async (_req, res) => {
      res.json({ products: await stockRepository.list(pool) });
    });
    app.get('/stock/:sku', operator, async (req, res) => {
      const product = await stockRepository.find(pool, req.params.sku);
      if (!product) throw AppError.notFound(`SKU ${req.params.sku}`);
      res.json(product);
    });
    app.get('/reservations/:orderId', operator, async (req, res) => {
      const params = parseRequest(z.object({ orderId }), req.params, 'params');
      const reservation = await reservationRepository.find(pool, params.orderId);
      if (!reservation) throw AppError.notFound(`reservation for order ${params.orderId}`);
      res.json(reservation);
    });
  };
}
