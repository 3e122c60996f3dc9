import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, test } from 'node:test';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { TallyCounter } from '../src/index';
import { runtimeInstrumentation } from '../src/runtime-metrics';

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function collect(reader: MetricReader): Promise<MetricData[]> {
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
}

function providerWithReader(): { provider: MeterProvider; reader: TestReader } {
  const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  return { provider: new MeterProvider({ readers: [reader] }), reader };
}

describe('TallyCounter', () => {
  test('exports each series as a cumulative monotonic sum, with the attributes its key first came with', async () => {
    const { provider, reader } = providerWithReader();
    const counter = new TallyCounter(provider.getMeter('test'), 'things.counted', { unit: '{thing}', description: 'Things.' });
    let built = 0;
    const attributes = (queue: string) => () => {
      built += 1;
      return { queue };
    };
    counter.add('a', 0, attributes('a'));
    counter.add('b', 2, attributes('b'));
    counter.add('a', 1, attributes('a'));
    counter.add('a', 3, attributes('a'));
    const [metric] = await collect(reader);
    assert.equal(metric?.descriptor.name, 'things.counted');
    assert.equal(metric?.descriptor.unit, '{thing}');
    assert.equal(metric?.dataPointType, DataPointType.SUM);
    assert.equal(metric?.dataPointType === DataPointType.SUM && metric.isMonotonic, true);
    const values = Object.fromEntries(metric!.dataPoints.map((point) => [point.attributes.queue, point.value]));
    assert.deepEqual(values, { a: 4, b: 2 });
    assert.equal(built, 2, 'attributes are built once a series');

    counter.add('b', 5, attributes('b'));
    const [again] = await collect(reader);
    assert.deepEqual(Object.fromEntries(again!.dataPoints.map((point) => [point.attributes.queue, point.value])), { a: 4, b: 7 });
    await provider.shutdown();
  });
});

describe('runtimeInstrumentation', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  /**
   * The series with data after a few garbage collections, collected until `expected` all have data
   * or 5 s have passed: GC entries reach their observer asynchronously, and the event loop delay is
   * reported once it has five samples (the package's 10 ms apart, ours 50, runtime-metrics.ts).
   */
  async function seriesAfterCollections(instrumentation: RuntimeNodeInstrumentation, expected: string[]): Promise<Set<string>> {
    const { provider, reader } = providerWithReader();
    instrumentation.setMeterProvider(provider);
    for (let i = 0; i < 5; i += 1) gc();
    let names = new Set<string>();
    for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      names = new Set((await collect(reader)).filter((metric) => metric.dataPoints.length > 0).map((metric) => metric.descriptor.name));
      if (expected.every((name) => names.has(name))) break;
    }
    instrumentation.disable();
    await provider.shutdown();
    return names;
  }

  test('the package as it comes measures every garbage collection (the control for the next test)', async () => {
    const names = await seriesAfterCollections(new RuntimeNodeInstrumentation(), ['v8js.gc.duration']);
    assert.ok(names.has('v8js.gc.duration'), [...names].join(', '));
  });

  test('ours does not observe garbage collections, and keeps the event loop and heap series', async () => {
    const kept = ['nodejs.eventloop.delay.p99', 'nodejs.eventloop.utilization', 'v8js.memory.heap.used'];
    const names = await seriesAfterCollections(runtimeInstrumentation(), kept);
    assert.ok(!names.has('v8js.gc.duration'), [...names].join(', '));
    for (const name of kept) {
      assert.ok(names.has(name), `${name} in ${[...names].join(', ')}`);
    }
  });
});
