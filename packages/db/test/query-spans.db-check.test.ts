import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createPool, dropDatabase, ensureDatabase, withTransaction, type Pool } from '../src/index';

/** The statement spans of @shop/db, against a real PostgreSQL, exported to memory by the real SDK. */
describe('query spans', () => {
  const server = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `shop_test_spans_${randomUUID().slice(0, 8)}`;
  const url = `${server.replace(/\/[^/]*$/, '')}/${database}`;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  let pool: Pool;

  before(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    await ensureDatabase(url);
    pool = createPool(url, { max: 1 });
    await pool.query('CREATE TABLE item (id text PRIMARY KEY)');
  });

  after(async () => {
    await pool?.end();
    await dropDatabase(url);
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  beforeEach(() => exporter.reset());

  /** Runs `work` inside a recorded span of the test and returns that span. */
  const inSpan = async (name: string, work: () => Promise<unknown>): Promise<Span> =>
    tracer.startActiveSpan(name, async (span) => {
      try {
        await work();
      } finally {
        span.end();
      }
      return span;
    });
  const statements = () => exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);

  test('when a statement runs inside a recorded span, then it gets a CLIENT child span with the database conventions', async () => {
    const parent = await inSpan('handler', () => pool.query('INSERT INTO item (id) VALUES ($1)', [randomUUID()]));
    const [span, ...others] = statements();
    assert.deepEqual(others, []);
    assert.equal(span?.name, 'INSERT item');
    assert.equal(span?.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(span?.spanContext().traceId, parent.spanContext().traceId);
    assert.deepEqual(
      { ...span?.attributes },
      {
        'db.system.name': 'postgresql',
        'db.namespace': database,
        'db.query.text': 'INSERT INTO item (id) VALUES ($1)',
        'db.operation.name': 'INSERT',
        'db.collection.name': 'item',
        'server.address': '127.0.0.1',
        'server.port': 5432,
      },
    );
  });

  test('when statements run outside any span, or under one not sampled, then no span is made', async () => {
    await pool.query('SELECT count(*) FROM item');
    const notSampled = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: TraceFlags.NONE });
    await context.with(trace.setSpan(context.active(), notSampled), () => pool.query('SELECT count(*) FROM item'));
    assert.deepEqual(statements(), []);
  });

  test('when work runs in a transaction, then its statements have spans and BEGIN and COMMIT have none', async () => {
    await inSpan('handler', () =>
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO item (id) VALUES ($1)', [randomUUID()]);
        await tx.query('SELECT id FROM item LIMIT 1');
      }),
    );
    assert.deepEqual(
      statements().map((span) => span.name),
      ['INSERT item', 'SELECT item'],
    );
  });

  test('when a statement fails, then its span says so with the SQLSTATE', async () => {
    const id = randomUUID();
    await pool.query('INSERT INTO item (id) VALUES ($1)', [id]);
    await inSpan('handler', () => assert.rejects(pool.query('INSERT INTO item (id) VALUES ($1)', [id]), { code: '23505' }));
    const [span] = statements();
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span?.attributes['db.response.status_code'], '23505');
    assert.equal(span?.attributes['error.type'], '23505');
  });

  test('when pool.query waits for a client another caller holds, then its span is a child of its own caller', async () => {
    // A pool of one: the second caller's query is handed the client when the first releases it,
    // in the first caller's code. Its span must still belong to the second caller.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = inSpan('first', () => withTransaction(pool, () => held));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = inSpan('second', () => pool.query('SELECT count(*) FROM item'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await first;
    const secondSpan = await second;
    const [span] = statements();
    assert.equal(span?.parentSpanContext?.spanId, secondSpan.spanContext().spanId);
  });
});
