import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { startSpan } from '@shop/telemetry';
import type { Request, RequestHandler, Response } from 'express';

const tracer = trace.getTracer('@shop/http');

/**
 * The SERVER span of every request, made here instead of by @opentelemetry/instrumentation-http
 * and -express: those wrap every request, socket and middleware whether a span is recorded or
 * not (decision 0011). The span continues the caller's
 * trace (W3C `traceparent`), is named `METHOD /route` once the route is known, and carries the
 * stable HTTP semantic conventions. `quietPaths` (the probes) get none.
 */
export function serverSpans(quietPaths: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    if (quietPaths.has(req.path)) {
      next();
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = startSpan(tracer, req.method, { kind: SpanKind.SERVER }, parent);
    const active = trace.setSpan(parent, span);
    if (!trace.isSpanContextValid(span.spanContext())) {
      next(); // tracing is off: nothing to carry
      return;
    }
    // The response's 'finish' and 'close' are emitted from the socket's context, not this one:
    // bound, what listens to them (the request log line) still sees the request's trace. The
    // body parser keeps the request's context by itself (AsyncResource).
    context.bind(active, res);
    if (span.isRecording()) recordRequest(req, res, span);
    context.with(active, next);
  };
}

function recordRequest(req: Request, res: Response, span: Span): void {
  span.setAttributes({
    'http.request.method': req.method,
    'url.path': req.path,
    'url.scheme': req.protocol,
    'server.port': req.socket.localPort,
    'client.address': req.socket.remoteAddress,
    'network.protocol.version': req.httpVersion,
    'user_agent.original': req.headers['user-agent'],
  });
  res.once('close', () => {
    const route = routeOf(req);
    if (route) {
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (!res.writableFinished) span.setAttribute('error.type', 'aborted');
    else if (res.statusCode >= 500) span.setAttribute('error.type', String(res.statusCode));
    span.end();
  });
}

/** The matched route template (`/orders/:id`), not the path, so spans group by endpoint. */
function routeOf(req: Request): string | undefined {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : undefined;
}
