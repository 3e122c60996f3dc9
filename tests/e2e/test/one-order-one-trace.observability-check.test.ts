import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SERVICE_NAMES } from '@shop/catalog';
import {
  createTestInfrastructure,
  eventually,
  OtlpReceiver,
  startTestStack,
  type ReceivedSpan,
  type TestInfrastructure,
  type TestStack,
} from '@shop/testing';
import { buildOrder } from '@shop/testing';

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/**
 * The five services as real processes (through `npm run stack`'s runner), each with the
 * OpenTelemetry SDK and a real OTLP exporter sending to a receiver inside this test.
 */
describe('one order, one trace', () => {
  let infra: TestInfrastructure;
  let receiver: OtlpReceiver;
  let shop: TestStack;
  let orderUrl: string;

  before(async () => {
    infra = await createTestInfrastructure('trace');
    receiver = await new OtlpReceiver().start();
    shop = await startTestStack(infra, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      SAGA_STEP_TIMEOUT_MS: '5000',
    });
    orderUrl = shop.orderUrl;
  });

  after(async () => {
    await shop?.stop();
    await receiver?.stop();
    await infra?.cleanup();
  });

  const place = async (body: unknown) => {
    const response = await fetch(`${orderUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 202);
    return ((await response.json()) as { orderId: string }).orderId;
  };
  const settled = (orderId: string) =>
    eventually(
      async () => {
        const order = (await (await fetch(`${orderUrl}/orders/${orderId}`)).json()) as { status: string; traceId: string | null };
        return order.status === 'PENDING' ? undefined : order;
      },
      { timeoutMs: 30_000, what: `order ${orderId} to settle` },
    );
  /** The order's trace once the email service's span (the last hop) has arrived. */
  const traceOf = async (traceId: string) => {
    await eventually(() => (receiver.trace(traceId).some((s) => s.service === 'email' && s.kind === CONSUMER) ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the email service span of the trace',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the last batches of the other services
    return receiver.trace(traceId);
  };

  const assertWellFormed = (spans: ReceivedSpan[], orderId: string) => {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const roots = spans.filter((s) => !s.parentSpanId);
    assert.equal(roots.length, 1, `one root: ${roots.map((r) => `${r.service}:${r.name}`).join(', ')}`);
    assert.equal(roots[0]?.name, 'POST /orders');
    assert.equal(roots[0]?.service, 'order');
    for (const span of spans) {
      if (span.parentSpanId) assert.ok(byId.has(span.parentSpanId), `parent of ${span.service}:${span.name} is in the trace`);
    }
    assert.deepEqual([...new Set(spans.map((s) => s.service))].sort(), [...SERVICE_NAMES].sort());

    const consumers = spans.filter((s) => s.kind === CONSUMER);
    assert.ok(consumers.length >= 7);
    for (const consumer of consumers) {
      const parent = byId.get(consumer.parentSpanId);
      assert.equal(parent?.kind, PRODUCER, `${consumer.name} is a child of a producer span`);
      assert.equal(
        parent?.attributes['messaging.message.id'],
        consumer.attributes['messaging.message.id'],
        `${consumer.name} follows the producer of its own message`,
      );
      assert.equal(parent?.name, `publish ${String(consumer.name).replace(/ process$/, '')}`);
    }
    for (const span of [...consumers, ...spans.filter((s) => s.kind === PRODUCER)]) {
      assert.equal(span.attributes['messaging.system'], 'rabbitmq');
      assert.ok(span.attributes['messaging.destination.name'], `${span.name} has messaging.destination.name`);
      assert.ok(span.attributes['messaging.rabbitmq.destination.routing_key'], `${span.name} has the routing key`);
      assert.ok(['send', 'process'].includes(String(span.attributes['messaging.operation.type'])));
      assert.ok(span.attributes['messaging.message.id']);
      assert.equal(span.attributes['messaging.message.conversation_id'], orderId);
    }
  };

  test('when an order is confirmed, then its whole life is one trace rooted at POST /orders, across all five services', async () => {
    const orderId = await place(buildOrder());
    const order = await settled(orderId);
    assert.equal(order.status, 'CONFIRMED');
    assert.match(order.traceId ?? '', /^[0-9a-f]{32}$/);
    const spans = await traceOf(order.traceId!);
    assertWellFormed(spans, orderId);
    const names = spans.map((s) => s.name);
    for (const expected of [
      'inventory.reserve-stock process',
      'payment.charge process',
      'warehouse.create-shipment process',
      'order.confirmed process',
      'saga step charge-payment',
    ]) {
      assert.ok(names.includes(expected), `the trace has ${expected}`);
    }
    // The HTTP and database spans, made by @shop/http and @shop/db.
    const root = spans.find((s) => !s.parentSpanId)!;
    assert.equal(root.kind, SERVER);
    assert.equal(root.attributes['http.request.method'], 'POST');
    assert.equal(root.attributes['http.route'], '/orders');
    assert.equal(root.attributes['http.response.status_code'], 202);
    const statements = spans.filter((s) => s.kind === CLIENT && s.attributes['db.system.name'] === 'postgresql');
    assert.deepEqual([...new Set(statements.map((s) => s.service))].sort(), [...SERVICE_NAMES].sort(), 'every service has statement spans');
    for (const statement of statements) {
      assert.ok(String(statement.attributes['db.query.text']).length > 0, `${statement.name} has its text`);
      assert.ok(statement.attributes['db.namespace'], `${statement.name} names its database`);
    }
    const operations = new Set(statements.map((s) => s.attributes['db.operation.name']));
    for (const transactionControl of ['BEGIN', 'COMMIT', 'ROLLBACK'])
      assert.ok(!operations.has(transactionControl), `no span for ${transactionControl}`);
    // The card provider's call: a CLIENT span under the payment service's handling of the charge.
    const providerCall = spans.find((s) => s.service === 'payment' && s.kind === CLIENT && s.name === 'POST /v1/charges');
    assert.ok(providerCall, 'the trace has the provider call');
    assert.equal(spans.find((s) => s.spanId === providerCall.parentSpanId)?.name, 'payment.charge process');
    assert.equal(providerCall.attributes['http.response.status_code'], 200);
    assert.equal(providerCall.attributes['peer.service'], 'payment-provider');
    // No span of this order sits in another trace.
    const elsewhere = receiver.spans.filter(
      (s) => s.traceId !== order.traceId && s.attributes['messaging.message.conversation_id'] === orderId,
    );
    assert.deepEqual(
      elsewhere.map((s) => s.name),
      [],
    );
  });

  test('when an order is cancelled at the warehouse, then its compensations sit in the same trace', async () => {
    const orderId = await place(
      buildOrder({ shippingAddress: { name: 'Scott', line1: 'Base 1', city: 'McMurdo', postalCode: '0000', country: 'AQ' } }),
    );
    const order = await settled(orderId);
    assert.equal(order.status, 'CANCELLED');
    const spans = await traceOf(order.traceId!);
    assertWellFormed(spans, orderId);
    const names = spans.map((s) => s.name);
    for (const expected of [
      'saga compensate charge-payment',
      'payment.refund process',
      'saga compensate reserve-stock',
      'inventory.release-stock process',
      'order.cancelled process',
    ]) {
      assert.ok(names.includes(expected), `the trace has ${expected}`);
    }
    // The reply that failed the saga says so: domain attributes and an error status.
    const rejected = spans.find((s) => s.name === 'warehouse.shipment-rejected process');
    assert.equal(rejected?.attributes['order.id'], orderId);
    assert.equal(rejected?.attributes['saga.step'], 'create-shipment');
    assert.equal(rejected?.attributes['saga.step.outcome'], 'failed');
    assert.equal(rejected?.statusCode, 2, 'span status ERROR');
  });

  test('when the collector is down, then POST /orders still answers at its usual speed', async () => {
    const timeOne = async () => {
      const started = performance.now();
      await place(buildOrder());
      return performance.now() - started;
    };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const up: number[] = [];
    for (let i = 0; i < 15; i += 1) up.push(await timeOne());
    await receiver.stop();
    const down: number[] = [];
    for (let i = 0; i < 15; i += 1) down.push(await timeOne());
    // Generous bound: this guards against an exporter that blocks requests, not a benchmark.
    assert.ok(
      median(down) < Math.max(3 * median(up), median(up) + 100),
      `median with collector up ${median(up).toFixed(1)} ms, down ${median(down).toFixed(1)} ms`,
    );
  });
});
