import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from '@shop/logger';
import { AppError } from './app-error';
import { serverTelemetry } from './server-telemetry';

export interface HealthCheck {
  name: string;
  check(): Promise<boolean> | boolean;
}

export interface AppOptions {
  logger: Logger;
  /** Dependencies `/readyz` checks; the service is ready only when all of them answer. */
  readiness: HealthCheck[];
  bodyLimit?: string;
  /** Mounts the service's own routes. */
  routes?: (app: Express) => void;
}

/** Polled every few seconds: they would fill the log and Jaeger with noise. */
const probePaths: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * An express 5 app with a SERVER span and a duration measurement per request, JSON bodies under a size limit, request
 * logging, `/healthz` (alive), `/readyz` (broker and database usable) and one JSON error handler
 * that never leaks a stack.
 */
export function createApp({ logger, readiness, bodyLimit = '64kb', routes }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(serverTelemetry(probePaths));
  app.use(requestLogger(logger));
  app.use(requireJson);
  app.use(express.json({ limit: bodyLimit, strict: true }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      readiness.map(async ({ name, check }) => [name, await Promise.resolve(check()).catch(() => false)] as const),
    );
    const ready = results.every(([, ok]) => ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });

  routes?.(app);

  app.use((req, _res, next) => next(new AppError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));
  return app;
}

/** A body in anything but JSON is refused before it is read. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    next(
      new AppError(415, 'unsupported_media_type', `content-type: expected application/json, got ${req.headers['content-type'] ?? 'none'}`),
    );
    return;
  }
  next();
};

function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (probePaths.has(req.path)) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ method: req.method, path: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    void _next;
    if (error instanceof AppError) {
      res
        .status(error.status)
        .json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
      return;
    }
    const parserError = error as BodyParserError;
    if (parserError.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'invalid_json', message: 'body: the request body is not valid JSON' } });
      return;
    }
    if (parserError.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'body_too_large', message: `body: the request body is larger than the limit` } });
      return;
    }
    if (parserError.expose && parserError.status && parserError.status < 500) {
      res.status(parserError.status).json({ error: { code: 'bad_request', message: parserError.message ?? 'bad request' } });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.originalUrl }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
}
