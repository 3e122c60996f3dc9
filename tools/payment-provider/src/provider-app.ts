import express, { type ErrorRequestHandler, type Express } from 'express';
import { apiRoutes } from './api-routes';
import { controlRoutes } from './control-routes';
import { send } from './fault-injection';
import { apiError, invalidRequest } from './provider-answers';
import { createProviderState, type ProviderOptions, type ProviderState } from './provider-state';

export interface ProviderApp {
  app: Express;
  state: ProviderState;
}

/** The provider as an express app, for a server of the caller's own or for startProvider. */
export function createProviderApp(options: ProviderOptions = {}): ProviderApp {
  const state = createProviderState(options);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '64kb' }));
  app.get('/healthz', (_request, response) => {
    response.json({ ok: true });
  });
  app.use('/_control', controlRoutes(state));
  app.use('/v1', apiRoutes(state));
  app.use((request, response) => {
    send(response, invalidRequest(undefined, `Unrecognized request URL (${request.method}: ${request.path})`, undefined, 404));
  });
  app.use(errorHandler);
  return { app, state };
}

const errorHandler: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
  const status = (error as { status?: unknown }).status;
  if ((error as { type?: unknown }).type === 'entity.parse.failed') {
    send(response, invalidRequest(undefined, 'The request body is not valid JSON'));
  } else if (typeof status === 'number' && status >= 400 && status < 500) {
    send(response, invalidRequest(undefined, error instanceof Error ? error.message : 'Invalid request', undefined, status));
  } else {
    // A tool's terminal, not a service log: the provider has no logger of its own.
    process.stderr.write(`payment provider: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    send(response, apiError(500, 'The payment provider failed (a real bug, not an injected error)'));
  }
};
