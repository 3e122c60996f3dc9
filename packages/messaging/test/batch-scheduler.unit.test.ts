import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { BatchScheduler } from '../src/batch-scheduler';

/**
 * The scheduler's rules for waiting (decision 0025), in memory: a batch is an array of numbers and
 * handling it takes `handleMs`. What the consumer does with a batch is tested against the real
 * broker and database in batched-inbox.message-queue-check.
 */
function scheduler({ batchSize = 4, concurrency = 1, lingerMs = 0, handleMs = 0 } = {}) {
  const batches: { items: number[]; at: number }[] = [];
  const workers: Promise<void>[] = [];
  const start = performance.now();
  const batchScheduler = new BatchScheduler<number>({
    batchSize,
    concurrency,
    lingerMs,
    handle: async (items) => {
      batches.push({ items, at: performance.now() - start });
      await delay(handleMs);
    },
    track: (worker) => workers.push(worker),
    onError: (error) => assert.fail(String(error)),
  });
  const idle = async () => {
    while (workers.length > 0) await Promise.all(workers.splice(0));
  };
  /** The items of each batch handed over so far, in order. */
  const handedOver = () => batches.map((batch) => batch.items);
  return { batchScheduler, batches, idle, handedOver };
}

describe('batch scheduler', () => {
  test('without a linger, an item is handed over at once, alone when nothing else is ready', async () => {
    const { batchScheduler, idle, handedOver } = scheduler();
    batchScheduler.add(1);
    await delay(5);
    batchScheduler.add(2);
    await idle();
    assert.deepEqual(handedOver(), [[1], [2]]);
  });

  test('with a linger, items that arrive within it are handed over together when the first is that old', async () => {
    const { batchScheduler, batches, idle, handedOver } = scheduler({ lingerMs: 100 });
    batchScheduler.add(1);
    await delay(20);
    batchScheduler.add(2);
    await delay(20);
    batchScheduler.add(3);
    await idle();
    assert.deepEqual(handedOver(), [[1, 2, 3]]);
    assert.ok(batches[0]!.at >= 90, `handed over after ${batches[0]!.at.toFixed(0)} ms, before the first item was 100 ms old`);
  });

  test('with one worker, a batch that fills during the wait is handed over at once', async () => {
    const { batchScheduler, batches, idle, handedOver } = scheduler({ lingerMs: 5_000 });
    for (const item of [1, 2, 3, 4]) batchScheduler.add(item);
    await idle();
    assert.deepEqual(handedOver(), [[1, 2, 3, 4]]);
    assert.ok(batches[0]!.at < 1_000, `a full batch waited ${batches[0]!.at.toFixed(0)} ms`);
  });

  test('with two workers, one waits for company and the other starts only on a full batch', async () => {
    const { batchScheduler, batches, idle, handedOver } = scheduler({ concurrency: 2, lingerMs: 1_000 });
    batchScheduler.add(1);
    await delay(10);
    batchScheduler.add(2);
    await idle();
    assert.deepEqual(handedOver(), [[1, 2]]);
    for (const item of [3, 4, 5, 6]) batchScheduler.add(item);
    await idle();
    assert.deepEqual(batches[1]?.items, [3, 4, 5, 6]);
    assert.ok(batches[1]!.at - batches[0]!.at < 500, 'the full batch did not wait');
  });

  test('an item that arrived while a batch was being handled waits only what is left of its linger', async () => {
    const { batchScheduler, batches, idle, handedOver } = scheduler({ lingerMs: 400, handleMs: 300, batchSize: 2 });
    batchScheduler.add(1);
    batchScheduler.add(2); // a full batch: handled at once, for 300 ms
    await delay(10);
    batchScheduler.add(3); // ready while the first batch is handled
    await idle();
    assert.deepEqual(handedOver(), [[1, 2], [3]]);
    // Item 3 arrived at about 10 ms: handed over when it is 400 ms old, not 400 ms after the first batch ended at 300 ms.
    assert.ok(batches[1]!.at < 600, `the second batch started at ${batches[1]!.at.toFixed(0)} ms`);
  });
});
