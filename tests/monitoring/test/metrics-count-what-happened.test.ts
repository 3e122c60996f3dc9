import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { queueOf } from '@shop/catalog';
import { inventory } from '@shop/contracts';
import {
  buildOrder,
  createTestInfrastructure,
  eventually,
  scrape,
  startTestStack,
  TestBrokerClient,
  total,
  type Sample,
  type TestInfrastructure,
  type TestStack,
} from '@shop/testing';

/**
 * The stack as `npm run stack` runs it, each service exporting its metrics: a known mix of orders,
 * bad requests and poison messages goes in, and each service's /metrics must say exactly that.
 */
let infra: TestInfrastructure;
let shop: TestStack;
let broker: TestBrokerClient;

before(async () => {
  infra = await createTestInfrastructure('metrics');
  // Traces off: the metrics SDK alone, without the Node SDK (@shop/telemetry's metrics-only path).
  shop = await startTestStack(infra, { OTEL_TRACES_EXPORTER: 'none' });
  broker = await TestBrokerClient.connect(infra.rabbitmqUrl);
});

after(async () => {
  await broker?.close();
  await shop?.stop();
  await infra?.cleanup();
});

async function post(body: unknown): Promise<{ status: number; orderId?: string }> {
  const response = await fetch(`${shop.orderUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { orderId?: string };
  return { status: response.status, orderId: json.orderId };
}

async function finalStatus(orderId: string): Promise<string> {
  return eventually(
    async () => {
      const response = await fetch(`${shop.orderUrl}/orders/${orderId}`);
      const order = (await response.json()) as { status: string };
      return order.status === 'PENDING' ? undefined : order.status;
    },
    { timeoutMs: 60_000, what: `order ${orderId} to finish` },
  );
}

const metricsOf = (service: string): Promise<Sample[]> => scrape(shop.metricsUrls[service]!);

/** Waits until `check` passes on a fresh scrape (counters recorded after a commit may trail the order's status by moments). */
async function expectMetrics(service: string, check: (samples: Sample[]) => void): Promise<void> {
  let lastError: unknown;
  try {
    await eventually(
      async () => {
        try {
          check(await metricsOf(service));
          return true;
        } catch (error) {
          lastError = error;
          return undefined;
        }
      },
      { timeoutMs: 15_000, what: `the ${service} service's metrics` },
    );
  } catch {
    throw lastError;
  }
}

test('when a known mix of orders and poison messages goes through, then the metrics count exactly that', async () => {
  const mix = {
    confirmed: Array.from({ length: 4 }, () => buildOrder()),
    declined: Array.from({ length: 2 }, () => buildOrder({ paymentMethod: 'tok_chargeDeclined' })),
    shippingRefused: [buildOrder({ shippingAddress: { ...buildOrder().shippingAddress, country: 'AQ' } })],
    unknownSku: [buildOrder({ items: [{ sku: 'SKU-UNICORN', quantity: 1 }] })],
  };
  const placed: Array<{ expected: string; orderId: string }> = [];
  for (const [kind, bodies] of Object.entries(mix)) {
    for (const body of bodies) {
      const { status, orderId } = await post(body);
      assert.equal(status, 202);
      placed.push({ expected: kind === 'confirmed' ? 'CONFIRMED' : 'CANCELLED', orderId: orderId! });
    }
  }
  assert.equal((await post({ ...buildOrder(), email: 'not an email' })).status, 400);
  assert.equal((await post({ ...buildOrder(), items: [] })).status, 400);

  // Poison for the inventory service: a body that is not JSON and an envelope of no known type,
  // each dead-lettered as invalid; and one valid command delivered twice, the second a duplicate.
  const commands = queueOf('inventory');
  broker.publishRaw('', commands, Buffer.from('{not json'), { messageId: randomUUID() });
  broker.publishRaw('', commands, Buffer.from(JSON.stringify({ id: randomUUID(), type: 'inventory.unheard-of', data: {} })));
  const release = await broker.send(inventory.ReleaseStock, { orderId: randomUUID() }, { correlationId: randomUUID(), causationId: null });
  broker.resend(inventory.ReleaseStock, release);

  for (const { expected, orderId } of placed) assert.equal(await finalStatus(orderId), expected, `order ${orderId}`);

  await expectMetrics('order', (samples) => {
    const posts = { http_route: '/orders', http_request_method: 'POST' };
    assert.equal(total(samples, 'http_server_request_duration_count', { ...posts, http_response_status_code: '202' }), 8);
    assert.equal(total(samples, 'http_server_request_duration_count', { ...posts, http_response_status_code: '400' }), 2);
    assert.equal(total(samples, 'shop_saga_started_total', { saga_name: 'order' }), 8);
    assert.equal(total(samples, 'shop_saga_finished_total', { saga_outcome: 'completed' }), 4);
    const compensated = (step: string, reason: string) =>
      total(samples, 'shop_saga_finished_total', { saga_outcome: 'compensated', saga_failed_step: step, saga_reason: reason });
    assert.equal(compensated('charge-payment', 'payment.rejected'), 2);
    assert.equal(compensated('create-shipment', 'warehouse.shipment-rejected'), 1);
    assert.equal(compensated('reserve-stock', 'inventory.stock-reservation-rejected'), 1);
    // Every saga is in the duration histogram, in its +Inf bucket and its count.
    assert.equal(total(samples, 'shop_saga_duration_count'), 8);
    assert.equal(total(samples, 'shop_saga_duration_bucket', { le: '+Inf' }), 8);
    const step = (name: string, action: string, outcome: string) =>
      total(samples, 'shop_saga_step_duration_count', { saga_step: name, saga_action: action, saga_step_outcome: outcome });
    assert.equal(step('reserve-stock', 'invoke', 'succeeded'), 7);
    assert.equal(step('reserve-stock', 'invoke', 'failed'), 1);
    assert.equal(step('charge-payment', 'invoke', 'succeeded'), 5);
    assert.equal(step('charge-payment', 'invoke', 'failed'), 2);
    assert.equal(step('create-shipment', 'invoke', 'succeeded'), 4);
    assert.equal(step('create-shipment', 'invoke', 'failed'), 1);
    assert.equal(step('reserve-stock', 'compensate', 'succeeded'), 3, 'stock released after the declines and the refused shipment');
    assert.equal(step('charge-payment', 'compensate', 'succeeded'), 1, 'the refused shipment’s payment refunded');
    assert.equal(total(samples, 'shop_saga_deadlines_total'), 0);
    const sent = (routingKey: string) =>
      total(samples, 'messaging_client_sent_messages_total', { messaging_rabbitmq_destination_routing_key: routingKey });
    assert.equal(sent('inventory.reserve-stock'), 8);
    assert.equal(sent('order.confirmed'), 4);
    assert.equal(sent('order.cancelled'), 4);
    assert.equal(total(samples, 'shop_outbox_pending'), 0);
  });

  await expectMetrics('inventory', (samples) => {
    const queue = { messaging_destination_name: commands };
    // 8 reservations, 3 releases by compensation, the poison release twice, 2 invalid messages.
    assert.equal(total(samples, 'messaging_client_consumed_messages_total', queue), 15);
    assert.equal(total(samples, 'messaging_process_duration_count', queue), 15, 'every delivery settled and timed');
    assert.equal(total(samples, 'shop_messaging_dead_letters_total', { ...queue, shop_dead_letter_reason: 'invalid_message' }), 2);
    assert.equal(total(samples, 'messaging_process_duration_count', { ...queue, error_type: 'invalid_message' }), 2);
    assert.equal(total(samples, 'shop_inbox_duplicates_total', queue), 1);
    assert.equal(total(samples, 'shop_messaging_retries_total'), 0);
  });

  await expectMetrics('email', (samples) => {
    assert.equal(total(samples, 'shop_emails_sent_total', { shop_email_kind: 'confirmation' }), 4);
    assert.equal(total(samples, 'shop_emails_sent_total', { shop_email_kind: 'cancellation' }), 4);
    assert.equal(total(samples, 'shop_emails_failed_total'), 0);
  });

  for (const service of ['payment', 'warehouse']) {
    const samples = await metricsOf(service);
    assert.ok(total(samples, 'nodejs_eventloop_delay_p99') > 0, `${service} reports its event loop delay`);
    assert.ok(total(samples, 'v8js_memory_heap_used') > 0, `${service} reports its heap`);
  }
});
