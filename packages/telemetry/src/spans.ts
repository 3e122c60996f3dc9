import { context, trace, TraceFlags, type Attributes, type Context, type Span, type SpanKind, type Tracer } from '@opentelemetry/api';

export interface SpanStart {
  kind?: SpanKind;
  /** Built only for a span that is recorded. */
  attributes?: () => Attributes;
}

/**
 * `tracer.startSpan`, for the spans our packages make, except:
 * - under a parent that was not sampled, no span is made: the parent's context goes on as it is,
 *   so what is published downstream still says "not sampled". A parent-based sampler would only
 *   make an unrecorded child, at the price of a sampler call, two random ids and cleaning the
 *   attributes, for every span of every order that is not traced;
 * - the attributes are built only when the span is recorded.
 */
export function startSpan(tracer: Tracer, name: string, { kind, attributes }: SpanStart = {}, parent: Context = context.active()): Span {
  const parentSpan = trace.getSpanContext(parent);
  if (parentSpan && trace.isSpanContextValid(parentSpan) && (parentSpan.traceFlags & TraceFlags.SAMPLED) === 0) {
    return trace.wrapSpanContext(parentSpan);
  }
  const span = tracer.startSpan(name, { kind }, parent);
  if (attributes && span.isRecording()) span.setAttributes(attributes());
  return span;
}

/** Runs `work` with `span` active, and ends the span when it settles. */
export async function inSpan<T>(span: Span, work: (span: Span) => Promise<T>, parent: Context = context.active()): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } finally {
    span.end();
  }
}
