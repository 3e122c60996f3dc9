import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from '@shop/logger';
import { AppError } from './app-error';
import type { ErrorBody } from './error-body';
import type { HealthBody, ReadinessBody } from './openapi';
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
 * An express 5 app with a SERVER span and a duration measurement per request, helmet's security headers, JSON bodies under a size limit, request
 * logging, `/healthz` (alive), `/readyz` (broker and database usable) and one JSON error handler
 * that never leaks a stack.
 */
export function createApp({ logger, readiness, bodyLimit = '64kb', routes }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(serverTelemetry(probePaths));
  // The standard security headers (nosniff, no framing, a restrictive content security policy,
  // HSTS, no referrer), from helmet rather than by hand: most answers are JSON, but a browser that
  // is pointed at one must not run or frame it. The pages (/docs, the order service's /live/) load
  // only their own origin's files. The services speak plain HTTP (TLS ends in front of them), so
  // the policy does not ask the browser to upgrade the pages' own requests to https, which would
  // break them on http://localhost.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(requestLogger(logger));
  app.use(requireJson);
  app.use(express.json({ limit: bodyLimit, strict: true }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies HealthBody);
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      readiness.map(async ({ name, check }) => [name, await Promise.resolve(check()).catch(() => false)] as const),
    );
    const ready = results.every(([, ok]) => ok);
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) } satisfies ReadinessBody);
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
  charset?: string;
  encoding?: string;
}

interface ClientProblem {
  status: number;
  code: string;
  message: string;
}

/**
 * A body-parser failure as a client error whose message starts with the field to fix: `body`, or
 * the header (`content-type`, `content-encoding`, `content-length`) that says how to read it.
 */
function bodyParserProblem(error: BodyParserError, req: Request): ClientProblem | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return { status: 400, code: 'invalid_json', message: 'body: the request body is not valid JSON' };
    case 'entity.too.large':
      return { status: 413, code: 'body_too_large', message: 'body: the request body is larger than the limit' };
    case 'charset.unsupported':
      return {
        status: 415,
        code: 'unsupported_media_type',
        message: `content-type: unsupported charset ${JSON.stringify(error.charset ?? '')}, expected utf-8`,
      };
    case 'encoding.unsupported':
      return {
        status: 415,
        code: 'unsupported_media_type',
        message: `content-encoding: unsupported content encoding ${JSON.stringify(error.encoding ?? '')}, expected gzip, deflate, br or identity`,
      };
    case 'request.size.invalid':
      return { status: 400, code: 'bad_request', message: 'content-length: the request body is not as long as Content-Length says' };
    case 'request.aborted':
      return { status: 400, code: 'bad_request', message: 'body: the request was aborted before its body was read' };
  }
  // An exposed client error without a type comes from the decompression stream: the body is not in its Content-Encoding.
  if (error.type === undefined && error.expose && error.status && error.status < 500 && req.headers['content-encoding'] !== undefined) {
    return {
      status: 400,
      code: 'invalid_content_encoding',
      message: `content-encoding: the request body is not valid ${req.headers['content-encoding']} data`,
    };
  }
  if (error.expose && error.status && error.status < 500) {
    return { status: error.status, code: 'bad_request', message: `body: ${error.message ?? 'bad request'}` };
  }
  return undefined;
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    void _next;
    if (error instanceof AppError) {
      res.status(error.status).json({
        error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
      } satisfies ErrorBody);
      return;
    }
    const problem = bodyParserProblem(error as BodyParserError, req);
    if (problem) {
      res.status(problem.status).json({ error: { code: problem.code, message: problem.message } } satisfies ErrorBody);
      return;
    }
    logger.error({ err: error, method: req.method, path: req.originalUrl }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } } satisfies ErrorBody);
  };
}
