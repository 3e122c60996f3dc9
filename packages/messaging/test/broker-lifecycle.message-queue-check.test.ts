import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@shop/logger';
import { createTestInfrastructure, type TestInfrastructure } from '@shop/testing';
import { Broker, checkExchanges } from '../src/index';

/** The broker connection's life against the real RabbitMQ, in a vhost of the test's own. */
describe('broker lifecycle', () => {
  let infra: TestInfrastructure;

  before(async () => {
    infra = await createTestInfrastructure('brokerlife');
  });
  after(() => infra?.cleanup());

  test('when the broker is closed while its connection is still being set up, then close resolves and leaves nothing open', async () => {
    const logger = createLogger({ service: 'broker-lifecycle-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    const broker = new Broker({ url: infra.rabbitmqUrl, logger, connectionName: 'broker-lifecycle-test', prefetch: 10 });
    let setUpStarted!: () => void;
    const settingUp = new Promise<void>((resolve) => (setUpStarted = resolve));
    let finishSetUp!: () => void;
    const setUpHeld = new Promise<void>((resolve) => (finishSetUp = resolve));
    // A service stopped during start-up (SIGTERM, or a test that ends at once) closes the broker
    // while the topology is being declared: the connection exists, the broker does not know it yet.
    broker.addTopology(async (channel) => {
      setUpStarted();
      await setUpHeld;
      await checkExchanges(channel);
    });
    broker.start();
    await settingUp;
    const closing = broker.close();
    finishSetUp();
    const outcome = await Promise.race([closing.then(() => 'closed'), sleep(10_000, 'still open after 10 s')]);
    assert.equal(outcome, 'closed');
    assert.equal(broker.isConnected, false);
  });
});
