import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { inSpan, startSpan } from '../src/index';

/** startSpan with the real SDK: a parent-based sampler that records every root, exported to memory. */
describe('startSpan', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('test');
  const unsampledRootTracer = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  }).getTracer('test');
  let built = 0;
  const attributes = () => {
    built += 1;
    return { 'order.id': 'o-1' };
  };

  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  after(async () => {
    await provider.shutdown();
    context.disable();
  });
  beforeEach(() => {
    exporter.reset();
    built = 0;
  });

  const remoteParent = (flags: TraceFlags) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: flags, isRemote: true });

  test('when the parent is sampled, then a recorded child with its attributes is made', () => {
    startSpan(tracer, 'work', { kind: SpanKind.CONSUMER, attributes }, remoteParent(TraceFlags.SAMPLED)).end();
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.name, 'work');
    assert.equal(span?.kind, SpanKind.CONSUMER);
    assert.equal(span?.parentSpanContext?.spanId, 'b'.repeat(16));
    assert.deepEqual({ ...span?.attributes }, { 'order.id': 'o-1' });
    assert.equal(built, 1);
  });

  test('when the parent was not sampled, then no span is made and the parent context goes on, attributes unbuilt', () => {
    const span = startSpan(tracer, 'work', { attributes }, remoteParent(TraceFlags.NONE));
    span.end();
    assert.deepEqual(span.spanContext(), { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.NONE, isRemote: true });
    assert.equal(span.isRecording(), false);
    assert.deepEqual(exporter.getFinishedSpans(), []);
    assert.equal(built, 0);
  });

  test('when a root is not sampled, then its attributes are not built, and its children are not made', async () => {
    const root = startSpan(unsampledRootTracer, 'root', { attributes });
    assert.equal(root.isRecording(), false);
    assert.equal(trace.isSpanContextValid(root.spanContext()), true, 'a root gets its own trace id, to carry the decision');
    await inSpan(root, async () => {
      const child = startSpan(tracer, 'child', { attributes });
      assert.equal(child.spanContext().spanId, root.spanContext().spanId);
    });
    assert.deepEqual(exporter.getFinishedSpans(), []);
    assert.equal(built, 0);
  });

  test('when work runs inSpan, then the span is active in it and ends when it settles, even when it throws', async () => {
    const span = startSpan(tracer, 'outer');
    await assert.rejects(
      inSpan(span, async (active) => {
        assert.equal(trace.getActiveSpan(), active);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(
      exporter.getFinishedSpans().map((s) => s.name),
      ['outer'],
    );
  });
});
