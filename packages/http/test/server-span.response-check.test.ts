import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createLogger } from '@shop/logger';
import { AppError, createApp, listen, type RunningServer } from '../src/index';

/** The SERVER spans of @shop/http, over real HTTP, exported to memory by the real SDK. */
describe('server spans', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  let server: RunningServer;
  /** The span active in the handler, after the body parser: the request's own context. */
  let activeInHandler: string | undefined;

  before(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    const app = createApp({
      logger: createLogger({ service: 'test', level: 'silent' }),
      readiness: [],
      routes: (routes) => {
        routes.post('/things/:id', (req, res) => {
          activeInHandler = trace.getSpan(context.active())?.spanContext().spanId;
          res.status(201).json({ id: req.params.id, body: req.body as unknown });
        });
        routes.get('/broken', () => {
          throw new AppError(503, 'unavailable', 'try later');
        });
      },
    });
    server = await listen(app, 0, '127.0.0.1');
  });

  after(async () => {
    await server?.close();
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  beforeEach(() => {
    exporter.reset();
    activeInHandler = undefined;
  });

  const servers = () => exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
  const settled = async () => {
    // The span ends on the response's 'close', just after the client has read it.
    for (let i = 0; i < 50 && servers().length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    return servers();
  };

  test('when a request carries a traceparent, then its span continues that trace, is named by its route and is active in the handler', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const callerSpanId = 'b7ad6b7169203331';
    const response = await fetch(`${server.url}/things/42`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify({ a: 1 }),
    });
    assert.equal(response.status, 201);
    const [span, ...others] = await settled();
    assert.deepEqual(others, []);
    assert.equal(span?.name, 'POST /things/:id');
    assert.equal(span?.spanContext().traceId, traceId);
    assert.equal(span?.parentSpanContext?.spanId, callerSpanId);
    assert.equal(activeInHandler, span?.spanContext().spanId, 'the handler after the body parser runs in the span');
    assert.equal(span?.attributes['http.request.method'], 'POST');
    assert.equal(span?.attributes['http.route'], '/things/:id');
    assert.equal(span?.attributes['url.path'], '/things/42');
    assert.equal(span?.attributes['http.response.status_code'], 201);
    assert.equal(span?.status.code, SpanStatusCode.UNSET);
  });

  test('when a request fails with a 5xx, then its span has an error status; a 404 is named by its method alone', async () => {
    assert.equal((await fetch(`${server.url}/broken`)).status, 503);
    assert.equal((await fetch(`${server.url}/nowhere`)).status, 404);
    for (let i = 0; i < 50 && servers().length < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const [broken, missing] = servers();
    assert.equal(broken?.name, 'GET /broken');
    assert.equal(broken?.status.code, SpanStatusCode.ERROR);
    assert.equal(broken?.attributes['error.type'], '503');
    assert.equal(missing?.name, 'GET');
    assert.equal(missing?.attributes['http.response.status_code'], 404);
    assert.equal(missing?.status.code, SpanStatusCode.UNSET);
  });

  test('when the probes are asked, then they make no span', async () => {
    await fetch(`${server.url}/healthz`);
    await fetch(`${server.url}/readyz`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(servers(), []);
  });
});
