import { AppError, operatorOnly, parseRequest, serveApiDocs, type Express } from '@shop/http';
import type { Pool } from '@shop/db';
import { reservationRepository } from '../../data-access/reservation-repository';
import { stockRepository } from '../../data-access/stock-repository';
import { inventoryApi, reservationParams, skuParam, type StockList } from './stock-api';

/**
 * Read-only inspection for curl: the catalog with stock, one SKU, one order's reservation. All
 * three are operator endpoints that ask for `operatorToken` (OPERATOR_TOKEN). Their OpenAPI
 * document (stock-api.ts) is served at /openapi.json and /docs.
 */
export function stockRoutes(pool: Pool, operatorToken: string | undefined) {
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    serveApiDocs(app, inventoryApi);
    app.get('/stock', operator, async (_req, res) => {
      res.json({ products: await stockRepository.list(pool) } satisfies StockList);
    });
    app.get('/stock/:sku', operator, async (req, res) => {
      const { sku } = parseRequest(skuParam, req.params, 'params');
      const product = await stockRepository.find(pool, sku);
      if (!product) throw AppError.notFound(`SKU ${sku}`);
      res.json(product);
    });
    app.get('/reservations/:orderId', operator, async (req, res) => {
      const params = parseRequest(reservationParams, req.params, 'params');
      const reservation = await reservationRepository.find(pool, params.orderId);
      if (!reservation) throw AppError.notFound(`reservation for order ${params.orderId}`);
      res.json(reservation);
    });
  };
}
