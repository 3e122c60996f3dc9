import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { startSpan } from '@shop/telemetry';
import type { Envelope } from './envelope';

/**
 * Messaging spans are made here rather than by @opentelemetry/instrumentation-amqplib: with an
 * outbox, the moment a message is produced (inside the business transaction) and the moment it
 * hits the wire (the relay, later) differ, and only the first sits in the right trace. See
 * docs/decisions/0004-messaging-spans-made-by-the-messaging-package.md.
 */
const tracer = trace.getTracer('@shop/messaging');

export type TraceCarrier = Record<string, string>;

function baseAttributes(envelope: Envelope, destination: string, routingKey: string, operation: 'send' | 'process'): Attributes {
  return {
    'messaging.system': 'rabbitmq',
    'messaging.destination.name': destination,
    'messaging.rabbitmq.destination.routing_key': routingKey,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation === 'send' ? 'publish' : 'process',
    'messaging.message.id': envelope.id,
    'messaging.message.conversation_id': envelope.correlationId,
    'message.type': envelope.type,
  };
}

/**
 * Starts and ends the PRODUCER span of a message created in the current context, and returns the
 * W3C trace headers (traceparent, tracestate, baggage) that make its consumer a child of it.
 */
export function traceProducedMessage(envelope: Envelope, exchange: string, routingKey: string): TraceCarrier {
  const parent = context.active();
  const span = startSpan(
    tracer,
    `publish ${routingKey}`,
    { kind: SpanKind.PRODUCER, attributes: () => baseAttributes(envelope, exchange, routingKey, 'send') },
    parent,
  );
  const carrier: TraceCarrier = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  span.end();
  return carrier;
}

/**
 * Starts the CONSUMER span of a message, a child of the producer span named in its headers; the
 * caller runs the handler in the returned context and ends the span when the message is settled.
 */
export function startConsumerSpan(
  envelope: Envelope,
  headers: Record<string, unknown> | undefined,
  queue: string,
  routingKey: string,
): { span: Span; context: Context } {
  const parent = extractContext(headers);
  const span = startSpan(
    tracer,
    `${envelope.type} process`,
    { kind: SpanKind.CONSUMER, attributes: () => baseAttributes(envelope, queue, routingKey, 'process') },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

export function extractContext(headers: Record<string, unknown> | undefined): Context {
  const carrier: TraceCarrier = {};
  for (const key of ['traceparent', 'tracestate', 'baggage']) {
    const value = headers?.[key];
    if (typeof value === 'string') carrier[key] = value;
    else if (Buffer.isBuffer(value)) carrier[key] = value.toString();
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** The trace headers of the active context, stored with saga state so a timeout rejoins the trace. */
export function captureContext(): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Marks the span failed with the error (an exception event and an error status). */
export function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : new Error(String(error)));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
