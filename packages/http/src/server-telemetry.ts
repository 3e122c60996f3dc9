import { performance } from 'node:perf_hooks';
import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { Buckets, secondsSince, startSpan } from '@shop/telemetry';
import type { Request, RequestHandler, Response } from 'express';

const tracer = trace.getTracer('@shop/http');
const requestDuration = metrics.getMeter('@shop/http').createHistogram('http.server.request.duration', {
  unit: 's',
  description: 'Duration of HTTP server requests, from the first byte read to the response ended or the connection closed.',
  advice: { explicitBucketBoundaries: [...Buckets.short] },
});

/**
 * The SERVER span and the `http.server.request.duration` measurement of every request, made here
 * instead of by @opentelemetry/instrumentation-http and -express: those wrap every request, socket
 * and middleware whether a span is recorded or not (decision 0011). The span continues the
 * caller's trace (W3C `traceparent`), is named `METHOD /route` once the route is known, and
 * carries the stable HTTP semantic conventions; the measurement is taken for every request,
 * sampled or not. `quietPaths` (the probes) get neither.
 */
export function serverTelemetry(quietPaths: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    if (quietPaths.has(req.path)) {
      next();
      return;
    }
    const started = performance.now();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = startSpan(tracer, req.method, { kind: SpanKind.SERVER }, parent);
    const recording = span.isRecording();
    if (recording) recordRequest(req, span);
    res.once('close', () => {
      const attributes = responseAttributes(req, res);
      requestDuration.record(secondsSince(started, performance.now()), attributes);
      if (recording) endSpan(req, span, attributes);
    });
    const active = trace.setSpan(parent, span);
    if (!trace.isSpanContextValid(span.spanContext())) {
      next(); // tracing is off: nothing to carry
      return;
    }
    // The response's 'finish' and 'close' are emitted from the socket's context, not this one:
    // bound, what listens to them (the request log line) still sees the request's trace. The
    // body parser keeps the request's context by itself (AsyncResource).
    context.bind(active, res);
    context.with(active, next);
  };
}

function recordRequest(req: Request, span: Span): void {
  span.setAttributes({
    'http.request.method': req.method,
    'url.path': req.path,
    'url.scheme': req.protocol,
    'server.port': req.socket.localPort,
    'client.address': req.socket.remoteAddress,
    'network.protocol.version': req.httpVersion,
    'user_agent.original': req.headers['user-agent'],
  });
}

/** The attributes the span and the measurement share: method, route, status and error type. */
function responseAttributes(req: Request, res: Response): Attributes {
  const attributes: Attributes = { 'http.request.method': req.method, 'http.response.status_code': res.statusCode };
  const route = routeOf(req);
  if (route) attributes['http.route'] = route;
  if (!res.writableFinished) attributes['error.type'] = 'aborted';
  else if (res.statusCode >= 500) attributes['error.type'] = String(res.statusCode);
  return attributes;
}

function endSpan(req: Request, span: Span, attributes: Attributes): void {
  const route = attributes['http.route'];
  if (route) span.updateName(`${req.method} ${String(route)}`);
  span.setAttributes(attributes);
  if (Number(attributes['http.response.status_code']) >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** The matched route template (`/orders/:id`), not the path, so spans and series group by endpoint. */
function routeOf(req: Request): string | undefined {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : undefined;
}
