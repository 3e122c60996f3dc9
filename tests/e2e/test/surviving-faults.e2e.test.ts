import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { queueOf } from '@shop/catalog';
import { Exchanges, inventory } from '@shop/contracts';
import { eventually, TestBrokerClient } from '@shop/testing';
import { buildOrder } from '@shop/testing';
import { SAGA_STEP_TIMEOUT_MS, startShop, type Shop } from './shop-under-test';

/** Faults the asynchronous design exists to absorb: a broker outage, restarts, shutdowns under load, poison. */
describe('surviving faults', () => {
  let shop: Shop;

  before(async () => {
    shop = await startShop('faults');
  });
  after(async () => {
    await shop?.stopAll();
  });

  const awaitingShipment = (orderId: string) =>
    eventually(
      async () => {
        const order = await shop.order(orderId);
        return order.saga.currentStep === 'create-shipment' ? order : undefined;
      },
      { what: 'the saga to wait on the warehouse' },
    );

  test('when RabbitMQ is unreachable, then POST /orders keeps answering 202 at once and the orders complete once it is back', async () => {
    await shop.infra.deleteVhost();
    await eventually(async () => ((await fetch(`${shop.services.order.url}/readyz`)).status === 503 ? true : undefined), {
      what: '/readyz to report the outage',
    });

    const latencies: number[] = [];
    const orderIds: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const started = performance.now();
      orderIds.push(await shop.placeOrder(buildOrder()));
      latencies.push(performance.now() - started);
    }
    assert.ok(
      Math.max(...latencies) < 1_000,
      `every POST answered without waiting on the broker (slowest ${Math.max(...latencies).toFixed(0)} ms)`,
    );
    assert.equal(await shop.services.order.outbox.pendingCount(), 10, 'the first commands wait in the outbox');
    // Longer than a step's deadline: a command that never left cannot be late.
    await sleep(SAGA_STEP_TIMEOUT_MS + 1_000);

    await shop.infra.restoreVhost();
    for (const orderId of orderIds) assert.equal((await shop.settled(orderId, 60_000)).status, 'CONFIRMED');
    // The order.confirmed events written by the last commits leave a moment later.
    await eventually(async () => ((await shop.services.order.outbox.pendingCount()) === 0 ? true : undefined), {
      what: 'the outbox to drain',
    });
  });

  test('when the order service restarts mid-saga, then the new one resumes the saga from the database', async () => {
    await shop.stop('warehouse');
    const orderId = await shop.placeOrder(buildOrder());
    await awaitingShipment(orderId);
    await shop.stop('order');
    await shop.start('warehouse'); // replies to the order service queue up while it is down
    await shop.start('order');
    assert.equal((await shop.settled(orderId)).status, 'CONFIRMED');
  });

  test('when the order service is down past a deadline, then the restarted one fires it and compensates', async () => {
    await shop.stop('warehouse');
    const mugsBefore = await shop.stockOf('SKU-MUG');
    const orderId = await shop.placeOrder(buildOrder());
    await awaitingShipment(orderId);
    await shop.stop('order');
    // The command is lost: with it waiting in its queue, the deadline would start again instead.
    const client = await TestBrokerClient.connect(shop.infra.rabbitmqUrl);
    await client.drainQueue(queueOf('warehouse')).finally(() => client.close());
    await sleep(SAGA_STEP_TIMEOUT_MS + 500);
    await shop.start('order'); // the deadline lives in the database, not in a timer of the old process
    await eventually(
      async () => {
        const order = await shop.order(orderId);
        return order.saga.steps.some((s) => s.step === 'create-shipment' && s.outcome === 'timed-out') ? true : undefined;
      },
      { what: 'the missed deadline to fire' },
    );
    await shop.start('warehouse');
    const order = await shop.settled(orderId);
    assert.equal(order.status, 'CANCELLED');
    assert.match(order.cancellationReason ?? '', /create-shipment did not answer/);
    assert.equal(await shop.stockOf('SKU-MUG'), mugsBefore);
  });

  test('when a participant is stopped gracefully and restarted under load, then no order is lost or done twice', async () => {
    const mugsBefore = await shop.stockOf('SKU-MUG');
    const bodies = Array.from({ length: 40 }, () => buildOrder({ items: [{ sku: 'SKU-MUG', quantity: 1 }] }));
    const placing = Promise.all(bodies.map((body) => shop.placeOrder(body)));
    await sleep(100);
    await shop.stop('inventory');
    await sleep(300);
    await shop.start('inventory');
    const orderIds = await placing;
    for (const orderId of orderIds) assert.equal((await shop.settled(orderId)).status, 'CONFIRMED');
    assert.equal(await shop.stockOf('SKU-MUG'), mugsBefore - 40, 'each order took its one mug exactly once');
    for (const body of bodies)
      await eventually(() => (shop.sink.emails.filter((e) => e.to.includes(body.email)).length === 1 ? true : undefined));
  });

  test('when poisoned replies reach the order service, then they are dead-lettered and a reply for an unknown saga is dropped', async () => {
    const client = await TestBrokerClient.connect(shop.infra.rabbitmqUrl);
    try {
      client.publishRaw(Exchanges.replies, inventory.StockReserved.routingKey, Buffer.from('not json at all'));
      const stranger = randomUUID();
      await client.send(
        inventory.StockReleased,
        { orderId: stranger, released: true },
        { correlationId: stranger, causationId: randomUUID() },
      );
      const parked = await eventually(async () => {
        const messages = await client.drainQueue('order.saga-replies.dead-letter');
        return messages.length > 0 ? messages : undefined;
      });
      assert.equal(parked.length, 1, 'only the unparseable one: a reply for an unknown saga is acked and ignored');
      assert.match(String(parked[0]?.properties.headers?.['x-shop-error']), /unparseable body/);
      // And the orchestrator keeps serving.
      assert.equal((await shop.settled(await shop.placeOrder(buildOrder()))).status, 'CONFIRMED');
    } finally {
      await client.close();
    }
  });
});
