import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { payment } from '@shop/contracts';
import { eventually } from '@shop/testing';
import type { Envelope, PauseSignal } from '../src/index';
import { startConsumerHarness, type ConsumerHarness } from './consumer-harness';

/** A switch the test flips, standing for a dependency's circuit breaker. */
class Switch implements PauseSignal {
  paused = false;
  private readonly listeners: Array<(paused: boolean) => void> = [];
  onChange(listener: (paused: boolean) => void): void {
    this.listeners.push(listener);
  }
  set(paused: boolean): void {
    this.paused = paused;
    for (const listener of this.listeners) listener(paused);
  }
}

/**
 * A consumer whose handler has outside work (standing for a remote call: it waits, and may fail),
 * and a pause signal, against the real broker and database.
 */
describe('outside work and pausing', () => {
  const queue = 'messaging-test.outside';
  const dependency = new Switch();
  let harness: ConsumerHarness;
  /** What the outside work does per order id: how long it waits and whether it throws. */
  let remote: (orderId: string) => Promise<string>;
  const outsideCalls = new Map<string, number>();
  const seenInHandler = new Map<string, unknown>();
  const attemptInHandler = new Map<string, number>();

  before(async () => {
    harness = await startConsumerHarness('outside', payment.RefundPayment, {
      queue,
      retryDelaysMs: [50, 100],
      batchSize: 25,
      pauseWhen: dependency,
      outside: async (message: Envelope) => {
        const { orderId } = message.data as { orderId: string };
        outsideCalls.set(orderId, (outsideCalls.get(orderId) ?? 0) + 1);
        return remote(orderId);
      },
    });
    harness.behaviour = (orderId, _call, context) => {
      seenInHandler.set(orderId, context.outside);
      attemptInHandler.set(orderId, context.attempt);
    };
  });

  after(() => harness?.close());

  const send = (orderId: string) => harness.client.send(payment.RefundPayment, { orderId }, { correlationId: orderId });
  const handled = (orderIds: string[]) => async () => {
    const { rows } = await harness.pool.query('SELECT order_id FROM effects WHERE order_id = ANY($1::uuid[])', [orderIds]);
    return rows.length === orderIds.length ? true : undefined;
  };

  test('when messages need a slow remote call, then the calls run side by side and each handler gets its own result', async () => {
    remote = async (orderId) => {
      await sleep(200);
      return `answer for ${orderId}`;
    };
    const orderIds = Array.from({ length: 20 }, () => randomUUID());
    const started = Date.now();
    await Promise.all(orderIds.map(send));
    await eventually(handled(orderIds), { what: 'all 20 handled' });
    // One after the other, 20 calls of 200 ms take 4 s.
    assert.ok(Date.now() - started < 2_000, `20 remote calls of 200 ms took ${Date.now() - started} ms`);
    for (const orderId of orderIds) assert.equal(seenInHandler.get(orderId), `answer for ${orderId}`);
  });

  test('when the remote call fails once, then the message is retried, and nothing of the failed try was recorded', async () => {
    const orderId = randomUUID();
    remote = async (id) => {
      if (outsideCalls.get(id) === 1) throw new Error('remote said 503');
      return 'second time lucky';
    };
    await send(orderId);
    await eventually(handled([orderId]), { what: 'the retried message' });
    assert.equal(outsideCalls.get(orderId), 2);
    assert.equal(harness.calls.get(orderId), 1, 'the handler ran once, after the call that succeeded');
    assert.equal(seenInHandler.get(orderId), 'second time lucky');
  });

  test('when the consumer is paused, then messages wait in the queue untried, a call failing meanwhile is put back without using an attempt, and resuming handles them all', async () => {
    const inFlight = randomUUID();
    let releaseInFlight: () => void = () => undefined;
    remote = async (id) => {
      if (id === inFlight && outsideCalls.get(id) === 1) {
        await new Promise<void>((resolve) => (releaseInFlight = resolve));
        if (dependency.paused) throw new Error('dependency down');
      }
      return 'ok';
    };
    await send(inFlight);
    await eventually(() => (outsideCalls.get(inFlight) === 1 ? true : undefined), { what: 'the call in flight' });

    dependency.set(true);
    await sleep(200); // the broker has cancelled the consumer
    const waiting = Array.from({ length: 5 }, () => randomUUID());
    await Promise.all(waiting.map(send));
    releaseInFlight(); // fails while paused: put back, not retried

    await eventually(async () => ((await harness.client.queueDepth(queue)) === 6 ? true : undefined), {
      what: 'six messages waiting in the queue',
    });
    for (const id of waiting) assert.equal(outsideCalls.get(id), undefined);
    assert.equal(await harness.client.queueDepth(`${queue}.retry.50ms`), 0);
    assert.equal(await harness.client.queueDepth(`${queue}.dead-letter`), 0);

    dependency.set(false);
    await eventually(handled([inFlight, ...waiting]), { what: 'all six handled after resuming' });
    assert.equal(outsideCalls.get(inFlight), 2);
    const { rows } = await harness.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM effects WHERE order_id = ANY($1::uuid[])', [
      [inFlight, ...waiting],
    ]);
    assert.equal(rows[0]?.n, 6);
    // Put back untried: its next delivery was still its first attempt.
    assert.equal(attemptInHandler.get(inFlight), 1);
  });
});
