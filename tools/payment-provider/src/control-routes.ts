import { Router } from 'express';
import { behaviourPatchSchema } from './behaviour';
import { send } from './fault-injection';
import { invalidParams } from './provider-answers';
import type { ProviderState } from './provider-state';

/** /_control: the switches and counters. Never faulted, so a test can always turn a fault off. */
export function controlRoutes(state: ProviderState): Router {
  const router = Router();
  router.get('/', (_request, response) => {
    response.json(state.behaviour.current());
  });
  router.patch('/', (request, response) => {
    const parsed = behaviourPatchSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      send(response, invalidParams(parsed.error));
      return;
    }
    response.json(state.behaviour.apply(parsed.data));
  });
  router.get('/stats', (_request, response) => {
    response.json(state.stats.snapshot(state.pending.hungCount));
  });
  router.post('/reset-stats', (_request, response) => {
    state.stats.reset();
    response.json(state.stats.snapshot(state.pending.hungCount));
  });
  return router;
}
