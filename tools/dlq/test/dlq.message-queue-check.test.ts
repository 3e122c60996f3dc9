import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { queueOf } from '@shop/catalog';
import { createEnvelopeFor, Exchanges, inventory } from './fixtures';
import { service as inventoryService } from '@shop/inventory-service';
import { Headers } from '@shop/messaging';
import { createTestInfrastructure, eventually, serviceTestEnv, TestBrokerClient, type TestInfrastructure } from '@shop/testing';
import { DeadLetterStore } from '../src/dead-letter-store';
import { parseArguments, runCommand } from '../src/dlq-command';

const queue = queueOf('inventory');

describe('npm run dlq', () => {
  let infra: TestInfrastructure;
  let service: Awaited<ReturnType<typeof inventoryService.start>>;
  let client: TestBrokerClient;
  let store: DeadLetterStore;

  before(async () => {
    infra = await createTestInfrastructure('dlq');
    service = await inventoryService.startWith(await serviceTestEnv(infra, 'inventory'));
    await service.broker.waitUntilConnected(10_000);
    client = await TestBrokerClient.connect(infra.rabbitmqUrl);
    store = await DeadLetterStore.connect(infra.rabbitmqUrl);
  });
  after(async () => {
    await store?.close();
    await client?.close();
    await service?.stop();
    await infra?.cleanup();
  });

  const run = async (...args: string[]) => {
    const lines: string[] = [];
    await runCommand(parseArguments(args), store, (line) => lines.push(line));
    return lines.join('\n');
  };

  test('when a poisoned message was parked, then list counts it and show explains it without removing it', async () => {
    client.publishRaw(Exchanges.commands, 'inventory.reserve-stock', Buffer.from('{oops'), { messageId: 'poison-dlq-1' });
    await eventually(async () => ((await store.depth(queue)) === 1 ? true : undefined));
    assert.match(await run('list'), /inventory\.commands\s+1 dead letter\b/);
    const shown = await run('show', 'poison-dlq-1');
    assert.match(shown, /error: +unparseable body/);
    assert.match(shown, /routing key "inventory.reserve-stock"/);
    assert.equal(await store.depth(queue), 1, 'show leaves it where it was');
    assert.match(await run('purge', '--queue', queue), /1 purged/);
    assert.equal(await store.depth(queue), 0);
  });

  test('when a dead letter is replayed, then its consumer handles it again and it leaves the dead-letter queue', async () => {
    const replies = await client.listen(Exchanges.replies, '#');
    const orderId = randomUUID();
    const envelope = createEnvelopeFor(inventory.ReserveStock, { orderId, items: [{ sku: 'SKU-TEA', quantity: 1 }] }, orderId);
    // As the consumer parks a message after its last failed attempt.
    client.publishRaw('', `${queue}.dead-letter`, Buffer.from(JSON.stringify(envelope)), {
      messageId: envelope.id,
      type: envelope.type,
      headers: { [Headers.error]: 'Error: database unavailable', [Headers.attempt]: 5, [Headers.consumer]: queue },
    });
    await eventually(async () => ((await store.depth(queue)) === 1 ? true : undefined));
    assert.match(await run('replay', '--queue', queue), /1 replayed/);
    const reply = await eventually(() => replies.messages.find((m) => m.correlationId === orderId));
    assert.equal(reply.type, 'inventory.stock-reserved');
    assert.equal(await store.depth(queue), 0);
  });

  test('when the arguments are wrong, then it says how to call it', () => {
    assert.throws(() => parseArguments(['purge']), /purge needs --queue/);
    assert.throws(() => parseArguments(['show', '--queue', 'nope']), /--queue expects one of/);
    assert.throws(() => parseArguments(['explode']), /unknown command explode/);
  });
});
