import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queueOf } from '@shop/catalog';
import { Exchanges, inventory } from '@shop/contracts';
import { createLogger } from '@shop/logger';
import { Broker } from '@shop/messaging';
import { createTestInfrastructure, eventually, TestBrokerClient, type TestInfrastructure } from '@shop/testing';
import { sagaBacklog } from '../src/entry-points/messaging/saga-backlog';

/**
 * What the deadline watcher asks before a step's deadline fires (decision 0013), against the real
 * broker: the queues stand as they do while nobody consumes them, so what waits in them stays.
 */
describe('the saga backlog probe', () => {
  let infra: TestInfrastructure;
  let broker: Broker;
  let client: TestBrokerClient;
  let behind: ReturnType<typeof sagaBacklog>;
  const retryDelaysMs = [1_000];

  before(async () => {
    infra = await createTestInfrastructure('sagabacklog');
    await infra.provision(['order']);
    client = await TestBrokerClient.connect(infra.rabbitmqUrl);
    await client.holdQueue(queueOf('inventory'), Exchanges.commands, 'inventory.#');
    await client.holdQueue(queueOf('order'), Exchanges.replies, '#');
    const logger = createLogger({ service: 'saga-backlog-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    broker = new Broker({ url: infra.rabbitmqUrl, logger, connectionName: 'saga-backlog-test', prefetch: 10 });
    broker.start();
    await broker.waitUntilConnected(10_000);
    behind = sagaBacklog(broker, retryDelaysMs);
  });
  after(async () => {
    await broker?.close();
    await client?.close();
    await infra?.cleanup();
  });

  const waitFor = (queue: string, count: number) =>
    eventually(async () => ((await client.queueDepth(queue)) === count ? true : undefined), {
      timeoutMs: 5_000,
      what: `${count} in ${queue}`,
    });

  test('when nothing waits for the participant or for the orchestrator, then the participant is silent', async () => {
    assert.equal(await behind(inventory.ReserveStock), false);
  });

  test('when commands wait in the participant queue, then it is behind', async () => {
    client.publishRaw(Exchanges.commands, inventory.ReserveStock.routingKey, Buffer.from('{}'));
    await waitFor(queueOf('inventory'), 1);
    assert.equal(await behind(inventory.ReserveStock), true);
    await client.drainQueue(queueOf('inventory'));
  });

  test("when replies wait in the orchestrator's own queue, then the answer may be among them: the step counts as behind, not silent", async () => {
    client.publishRaw(Exchanges.replies, inventory.StockReserved.routingKey, Buffer.from('{}'));
    await waitFor(queueOf('order'), 1);
    assert.equal(await client.queueDepth(queueOf('inventory')), 0, 'the participant has nothing left to do');
    assert.equal(await behind(inventory.ReserveStock), true);
    await client.drainQueue(queueOf('order'));
    assert.equal(await behind(inventory.ReserveStock), false);
  });
});
