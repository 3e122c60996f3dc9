import type { Request, RequestHandler, Response } from 'express';
import { happens, sampleLatencyMs, type Behaviour } from './behaviour';
import { apiError, type ProviderAnswer } from './provider-answers';
import type { ProviderState } from './provider-state';

/**
 * Wraps a route's work in the faults, in the order a real outage would show them:
 * (1) an outage refuses at once, nothing done; (2) the latency; (3) the work, which books;
 * (4) the answer lost to an injected 500, or never sent (a hang), or sent. After (3) the effect has
 * happened whatever the client sees, so a retry with the same key must replay it.
 */
export function faultable(
  route: string,
  state: ProviderState,
  work: (request: Request, behaviour: Behaviour) => ProviderAnswer,
): RequestHandler {
  return async (request, response) => {
    const behaviour = state.behaviour.current();
    state.stats.request(route);
    if (behaviour.outage) {
      state.stats.count('refusedByOutage');
      send(response, apiError(503, 'The payment provider is in an outage (injected); nothing was processed'));
      return;
    }
    try {
      await state.pending.wait(sampleLatencyMs(behaviour.latencyMs));
    } catch {
      response.destroy(); // the provider is closing
      return;
    }

    const result = work(request, behaviour);
    if (result.kind === 'answer' && result.replayed) state.stats.count('replays');
    if (result.kind === 'never-answer') {
      hang(state, response);
    } else if (happens(behaviour.errorRate)) {
      state.stats.count('injectedErrors');
      send(response, apiError(500, 'An injected error: the request was processed but its answer was lost'));
    } else if (happens(behaviour.hangRate)) {
      hang(state, response);
    } else {
      send(response, result);
    }
  };
}

function hang(state: ProviderState, response: Response): void {
  state.stats.count('hungRequests');
  state.pending.hang(response);
}

export function send(response: Response, result: ProviderAnswer): void {
  if (result.kind === 'never-answer') return;
  if (result.replayed) response.set('Idempotent-Replayed', 'true');
  response.status(result.status).json(result.body);
}
