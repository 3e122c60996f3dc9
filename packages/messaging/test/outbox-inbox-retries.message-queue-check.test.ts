import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { inventory } from '@shop/contracts';
import type { Pool } from '@shop/db';
import { eventually, type TestBrokerClient } from '@shop/testing';
import { Headers, PermanentError, type Broker, type Outbox, type UnitOfWork } from '../src/index';
import { startConsumerHarness, type ConsumerHarness } from './consumer-harness';

/**
 * The messaging package against the real broker and database: a consumer of inventory.release-stock
 * (one message per transaction) on a queue of the test's own, whose behaviour each test sets.
 */
describe('outbox, inbox, retries and dead letters', () => {
  const queue = 'messaging-test.consumer';
  let harness: ConsumerHarness;
  let pool: Pool;
  let broker: Broker;
  let outbox: Outbox;
  let unitOfWork: UnitOfWork;
  let client: TestBrokerClient;
  let calls: Map<string, number>;
  const setBehaviour = (behaviour: ConsumerHarness['behaviour']) => {
    harness.behaviour = behaviour;
  };

  before(async () => {
    harness = await startConsumerHarness('messaging', inventory.ReleaseStock, { queue, retryDelaysMs: [50, 100] });
    ({ pool, broker, outbox, unitOfWork, client, calls } = harness);
  });

  after(() => harness?.close());

  const effects = async (orderId: string) =>
    (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM effects WHERE order_id = $1', [orderId])).rows[0]?.n;
  const inboxHas = async (messageId: string) =>
    ((await pool.query('SELECT 1 FROM inbox WHERE message_id = $1', [messageId])).rowCount ?? 0) > 0;
  const send = (orderId: string) =>
    unitOfWork.run((tx) => outbox.enqueue(tx, inventory.ReleaseStock, { orderId }, { correlationId: orderId }));

  test('when a message is committed to the outbox, then it is published with confirms and handled exactly once', async () => {
    setBehaviour(() => undefined);
    const orderId = randomUUID();
    const envelope = await send(orderId);
    await eventually(async () => ((await effects(orderId)) === 1 ? true : undefined), { what: 'the effect' });
    assert.ok(await inboxHas(envelope.id));
    // The relay deletes the row once the broker confirmed it, which may be after the delivery.
    await eventually(async () => ((await outbox.pendingCount()) === 0 ? true : undefined), {
      what: 'the relay to delete the row after the confirm',
    });
    client.resend(inventory.ReleaseStock, envelope); // a redelivery
    await eventually(async () => ((calls.get(orderId) ?? 0) >= 1 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(calls.get(orderId), 1, 'the duplicate never reached the handler');
    assert.equal(await effects(orderId), 1);
  });

  test('when the transaction that wrote the message rolls back, then nothing is published', async () => {
    const orderId = randomUUID();
    await assert.rejects(
      unitOfWork.run(async (tx) => {
        await outbox.enqueue(tx, inventory.ReleaseStock, { orderId }, { correlationId: orderId });
        throw new Error('business rule broken');
      }),
      /business rule broken/,
    );
    const marker = randomUUID();
    await send(marker);
    await eventually(async () => ((await effects(marker)) === 1 ? true : undefined));
    assert.equal(calls.get(orderId), undefined);
  });

  test('when the handler fails once, then the message is retried through the delay queue and its effect happens once', async () => {
    setBehaviour((_orderId, call) => {
      if (call === 1) throw new Error('database hiccup');
    });
    const orderId = randomUUID();
    await send(orderId);
    await eventually(async () => ((await effects(orderId)) === 1 ? true : undefined), { what: 'the retried effect' });
    assert.equal(calls.get(orderId), 2);
  });

  test('when the handler always throws, then the message is never acked as done: after the last attempt it is dead-lettered with the reason', async () => {
    setBehaviour(() => {
      throw new Error('still broken');
    });
    const orderId = randomUUID();
    const envelope = await send(orderId);
    const [parked] = await eventually(
      async () => {
        const messages = await client.drainQueue(`${queue}.dead-letter`);
        return messages.length > 0 ? messages : undefined;
      },
      { what: 'the dead letter' },
    );
    assert.equal(calls.get(orderId), 3, 'one try and two retries');
    assert.equal(parked?.properties.headers?.[Headers.attempt], 3);
    assert.match(String(parked?.properties.headers?.[Headers.error]), /failed after 3 attempts: Error: still broken/);
    assert.equal(parked?.properties.headers?.[Headers.originalRoutingKey], 'inventory.release-stock');
    assert.equal(parked?.properties.messageId, envelope.id);
    assert.equal(await effects(orderId), 0, 'every failed attempt rolled back');
    assert.equal(await inboxHas(envelope.id), false, 'not recorded as handled');
  });

  test('when the handler fails permanently, then the message is dead-lettered at once without retries', async () => {
    setBehaviour(() => {
      throw new PermanentError('order belongs to another shop');
    });
    const orderId = randomUUID();
    await send(orderId);
    const [parked] = await eventually(async () => {
      const messages = await client.drainQueue(`${queue}.dead-letter`);
      return messages.length > 0 ? messages : undefined;
    });
    assert.equal(calls.get(orderId), 1);
    assert.equal(String(parked?.properties.headers?.[Headers.error]), 'order belongs to another shop');
  });

  test('when a command has no queue bound yet, then it waits in the outbox and is delivered once a consumer binds', async () => {
    setBehaviour(() => undefined);
    const orderId = randomUUID();
    await unitOfWork.run((tx) =>
      outbox.enqueue(tx, inventory.ReserveStock, { orderId, items: [{ sku: 'SKU-1', quantity: 1 }] }, { correlationId: orderId }),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await outbox.pendingCount(), 1, 'unroutable, so kept');
    const late = await client.listen('shop.commands', 'inventory.reserve-stock');
    await eventually(() => (late.messages.some((m) => m.correlationId === orderId) ? true : undefined), { what: 'the late delivery' });
    await eventually(async () => ((await outbox.pendingCount()) === 0 ? true : undefined), { what: 'the outbox to drain' });
  });

  test('when the broker drops the connection, then the service reconnects, resumes consuming and delivers what it holds', async () => {
    setBehaviour(() => undefined);
    await broker.dropConnection();
    const orderId = randomUUID();
    await send(orderId); // written while reconnecting
    await eventually(async () => ((await effects(orderId)) === 1 ? true : undefined), { what: 'delivery after the reconnect' });
    assert.ok(broker.isConnected);
  });
});
