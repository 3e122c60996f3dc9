import { AppError, type Express } from '@shop/http';
import type { Pool } from '@shop/db';
import { reservationRepository } from '../../data-access/reservation-repository';
import { stockRepository } from '../../data-access/stock-repository';

/** Read-only inspection for curl: the catalog with stock, one SKU, one order's reservation. */
export function stockRoutes(pool: Pool) {
  return (app: Express) => {
    app.get('/stock', async (_req, res) => {
      res.json({ products: await stockRepository.list(pool) });
    });
    app.get('/stock/:sku', async (req, res) => {
      const product = await stockRepository.find(pool, req.params.sku);
      if (!product) throw AppError.notFound(`SKU ${req.params.sku}`);
      res.json(product);
    });
    app.get('/reservations/:orderId', async (req, res) => {
      const reservation = /^[0-9a-f-]{36}$/i.test(req.params.orderId)
        ? await reservationRepository.find(pool, req.params.orderId)
        : undefined;
      if (!reservation) throw AppError.notFound(`reservation for order ${req.params.orderId}`);
      res.json(reservation);
    });
  };
}
