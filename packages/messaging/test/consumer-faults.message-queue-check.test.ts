import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { inventory, payment } from '@shop/contracts';
import { eventually } from '@shop/testing';
import { Headers, injectFaultsInto, on, type FaultSettings } from '../src/index';
import { startConsumerHarness, type ConsumerHarness } from './consumer-harness';

/**
 * The demo switches as a consumer option (`faults`), against the real broker and database: the
 * consumer applies them to every message before its handler, or before its outside work.
 */
describe('faults injected by the consumer', () => {
  const harnesses: ConsumerHarness[] = [];
  const start = async (name: string, faults: FaultSettings, outside?: () => Promise<unknown>) => {
    const harness = await startConsumerHarness(name, inventory.ReleaseStock, {
      queue: `messaging-test.${name}`,
      retryDelaysMs: [50, 100],
      faults,
      outside,
    });
    harnesses.push(harness);
    return harness;
  };
  const deadLetterOf = (harness: ConsumerHarness, queue: string) =>
    eventually(
      async () => {
        const messages = await harness.client.drainQueue(`${queue}.dead-letter`);
        return messages.length > 0 ? messages[0] : undefined;
      },
      { what: 'the dead letter' },
    );
  const effects = async (harness: ConsumerHarness, orderId: string) =>
    (await harness.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM effects WHERE order_id = $1', [orderId])).rows[0]?.n;

  let failing: ConsumerHarness;
  let slow: ConsumerHarness;
  let failingOutside: ConsumerHarness;
  let outsideCalls = 0;

  before(async () => {
    failing = await start('faults-failing', { failureRate: 1, addedLatencyMs: 0 });
    slow = await start('faults-slow', { failureRate: 0, addedLatencyMs: 400 });
    failingOutside = await start('faults-outside', { failureRate: 1, addedLatencyMs: 0 }, () => {
      outsideCalls += 1;
      return Promise.resolve('answer');
    });
  });

  after(async () => {
    for (const harness of harnesses) await harness.close();
  });

  test('when the failure rate is 1, then each attempt fails transiently, is retried through the delay queues, and the last one is dead-lettered with the injected reason', async () => {
    const orderId = randomUUID();
    const envelope = await failing.client.send(inventory.ReleaseStock, { orderId }, { correlationId: orderId });
    const parked = await deadLetterOf(failing, 'messaging-test.faults-failing');
    assert.equal(parked.properties.messageId, envelope.id);
    assert.equal(parked.properties.headers?.[Headers.attempt], 3, 'one try and two retries');
    assert.match(
      String(parked.properties.headers?.[Headers.error]),
      /failed after 3 attempts: InjectedFault: injected transient failure in messaging-test\.faults-failing/,
    );
    assert.equal(failing.calls.get(orderId), undefined, 'the handler never ran');
    assert.equal(await effects(failing, orderId), 0);
  });

  test('when the handler has outside work and the failure rate is 1, then the failure comes first and the outside work is never done', async () => {
    const orderId = randomUUID();
    await failingOutside.client.send(inventory.ReleaseStock, { orderId }, { correlationId: orderId });
    const parked = await deadLetterOf(failingOutside, 'messaging-test.faults-outside');
    assert.match(String(parked.properties.headers?.[Headers.error]), /failed after 3 attempts: InjectedFault/);
    assert.equal(outsideCalls, 0);
    assert.equal(failingOutside.calls.get(orderId), undefined);
  });

  test('when latency is added, then a message is handled no sooner than that after it was sent, and handled once', async () => {
    let handledAt = 0;
    slow.behaviour = () => {
      handledAt = Date.now();
    };
    const orderId = randomUUID();
    const sentAt = Date.now();
    await slow.client.send(inventory.ReleaseStock, { orderId }, { correlationId: orderId });
    await eventually(async () => ((await effects(slow, orderId)) === 1 ? true : undefined), { what: 'the delayed effect' });
    assert.ok(handledAt - sentAt >= 400, `handled ${handledAt - sentAt} ms after it was sent`);
    assert.equal(slow.calls.get(orderId), 1);
  });

  test('when the switches are off, then the handler is the one given, unwrapped', () => {
    const handler = on(payment.RefundPayment, () => Promise.resolve());
    assert.equal(injectFaultsInto(handler, { failureRate: 0, addedLatencyMs: 0 }, 'q'), handler);
  });
});
