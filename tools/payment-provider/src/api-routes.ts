import { Router } from 'express';
import { createCharge } from './create-charge';
import { createRefund } from './create-refund';
import { faultable } from './fault-injection';
import { listCharges, retrieveCharge } from './list-charges';
import type { ProviderState } from './provider-state';

/** The Stripe-like API under /v1; every route here goes through the fault switches. */
export function apiRoutes(state: ProviderState): Router {
  const router = Router();
  router.use((_request, response, next) => {
    response.once('finish', () => state.stats.answered(response.statusCode));
    next();
  });
  router.post(
    '/charges',
    faultable('POST /v1/charges', state, (request, behaviour) =>
      createCharge(state.ledger, behaviour, request.get('Idempotency-Key'), request.body),
    ),
  );
  router.post(
    '/refunds',
    faultable('POST /v1/refunds', state, (request) => createRefund(state.ledger, request.get('Idempotency-Key'), request.body)),
  );
  router.get(
    '/charges',
    faultable('GET /v1/charges', state, (request) => listCharges(state.ledger, request.query)),
  );
  router.get(
    '/charges/:id',
    faultable('GET /v1/charges/:id', state, (request) => retrieveCharge(state.ledger, String(request.params.id))),
  );
  return router;
}
