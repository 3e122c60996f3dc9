import { trace } from '@opentelemetry/api';
import { AppError, operatorOnly, parseRequest, serveApiDocs, type Express } from '@shop/http';
import type { Pool } from '@shop/db';
import { sagaRepository } from '@shop/saga';
import { orderRepository } from '../../data-access/order-repository';
import { placeOrderRequest } from '../../domain/order';
import type { OrderSagaData } from '../../domain/order';
import { orderSummary, orderView } from '../../domain/order-view';
import { IdempotencyKeyReusedError, placeOrder, type PlaceOrderDependencies } from '../../domain/place-order-use-case';
import { idempotencyKey, listQuery, orderApi, orderIdParam, type OrderAccepted, type OrderPage } from './order-api';
import { orderRateLimit } from './order-rate-limit';

/**
 * POST /orders is the system's only synchronous path; the GETs read the order service's own
 * tables. POST /orders and GET /orders/:id are the shop's API; the list, GET /orders, is an
 * operator endpoint that asks for `operatorToken` (OPERATOR_TOKEN). Their OpenAPI document
 * (order-api.ts) is served at /openapi.json and /docs.
 */
export function orderRoutes(
  pool: Pool,
  placing: PlaceOrderDependencies,
  { ordersPerMinute = 0, operatorToken }: { ordersPerMinute?: number; operatorToken?: string } = {},
) {
  const limit = orderRateLimit(ordersPerMinute);
  const operator = operatorOnly(operatorToken);
  return (app: Express) => {
    serveApiDocs(app, orderApi);
    if (limit) app.post('/orders', limit);
    app.post('/orders', async (req, res) => {
      const request = parseRequest(placeOrderRequest, req.body ?? {}, 'body');
      const key = parseRequest(idempotencyKey, req.get('idempotency-key'), 'Idempotency-Key');
      const { order, replayed } = await placeOrder(placing, request, key).catch((error: unknown) => {
        // The domain says what went wrong; HTTP says it as a 409.
        if (error instanceof IdempotencyKeyReusedError) throw new AppError(409, 'idempotency_key_reused', error.message);
        throw error;
      });
      trace.getActiveSpan()?.setAttribute('order.id', order.id);
      res
        .status(202)
        .location(`/orders/${order.id}`)
        .set(replayed ? { 'Idempotent-Replayed': 'true' } : {})
        .json({ orderId: order.id, status: order.status } satisfies OrderAccepted);
    });

    app.get('/orders/:id', async (req, res) => {
      const { id } = parseRequest(orderIdParam, req.params, 'params');
      const order = await orderRepository.find(pool, id);
      if (!order) throw AppError.notFound(`order ${id}`);
      const [saga, history] = await Promise.all([sagaRepository.find<OrderSagaData>(pool, id), sagaRepository.history(pool, id)]);
      res.json(orderView(order, saga, history));
    });

    app.get('/orders', operator, async (req, res) => {
      const query = parseRequest(listQuery, req.query, 'query');
      const orders = await orderRepository.list(pool, {
        status: query.status,
        ids: query.ids,
        limit: query.limit + 1,
        afterId: query.cursor,
      });
      const page = orders.slice(0, query.limit);
      res.json({
        orders: page.map(orderSummary),
        nextCursor: orders.length > query.limit ? (page.at(-1)?.id ?? null) : null,
      } satisfies OrderPage);
    });
  };
}
