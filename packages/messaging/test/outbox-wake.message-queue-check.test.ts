import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { order } from '@shop/contracts';
import { createPool, ensureDatabase, migrate, type Pool } from '@shop/db';
import { createLogger } from '@shop/logger';
import { createTestInfrastructure, eventually, type TestInfrastructure } from '@shop/testing';
import { Broker, checkExchanges, messagingMigrations, Outbox, UnitOfWork } from '../src/index';

/**
 * When the relay runs, against the real broker and database. Its poll interval is a minute here,
 * so anything published within the test was published because a unit of work's commit woke it.
 */
describe('outbox relay wake-up', () => {
  let infra: TestInfrastructure;
  let pool: Pool;
  let broker: Broker;
  let outbox: Outbox;
  let unitOfWork: UnitOfWork;
  let checkouts = 0;

  before(async () => {
    infra = await createTestInfrastructure('outbox-wake');
    const url = infra.databaseUrl('outbox-wake');
    await ensureDatabase(url);
    pool = createPool(url);
    await migrate(pool, messagingMigrations);
    // Every transaction, the relay's included, checks out a client: counting checkouts counts them.
    const connect = pool.connect.bind(pool) as () => Promise<unknown>;
    (pool as { connect: unknown }).connect = (...args: unknown[]) => {
      checkouts += 1;
      return (connect as (...a: unknown[]) => Promise<unknown>)(...args);
    };
    const logger = createLogger({ service: 'outbox-wake-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    broker = new Broker({ url: infra.rabbitmqUrl, logger, connectionName: 'outbox-wake-test', prefetch: 10, reconnectInitialDelayMs: 50 });
    broker.addTopology(checkExchanges);
    outbox = new Outbox({ pool, broker, logger, pollIntervalMs: 60_000 });
    unitOfWork = new UnitOfWork({ pool, outbox });
    broker.start();
    await broker.waitUntilConnected(10_000);
    outbox.start();
    await sleep(300); // the relay's first run, at start
  });

  after(async () => {
    await outbox?.stop();
    await broker?.close();
    await pool?.end();
    await infra?.cleanup();
  });

  const cancelled = () => ({ orderId: randomUUID(), customerId: 'customer-1', email: 'a@example.com', reason: 'test' });

  test('when a unit of work enqueues a message, then its commit wakes the relay and the message leaves at once', async () => {
    await unitOfWork.run((tx) => outbox.enqueue(tx, order.OrderCancelled, cancelled(), { correlationId: randomUUID() }));
    await eventually(async () => ((await outbox.pendingCount()) === 0 ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the relay to publish',
    });
  });

  test('when a unit of work enqueues nothing, then its commit leaves the relay asleep', async () => {
    await sleep(200); // the previous test's relay run has ended
    const before = checkouts;
    await unitOfWork.run((tx) => tx.query('SELECT 1'));
    await sleep(300);
    assert.equal(checkouts - before, 1, 'only the transaction itself used a connection');
  });

  test('when a unit of work that enqueued rolls back, then nothing was written, and the next commit that enqueues still wakes the relay', async () => {
    await assert.rejects(
      unitOfWork.run(async (tx) => {
        await outbox.enqueue(tx, order.OrderCancelled, cancelled(), { correlationId: randomUUID() });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(await outbox.pendingCount(), 0, 'the rolled-back message was never written');
    await unitOfWork.run((tx) => outbox.enqueue(tx, order.OrderCancelled, cancelled(), { correlationId: randomUUID() }));
    await eventually(async () => ((await outbox.pendingCount()) === 0 ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the relay to publish',
    });
  });
});
