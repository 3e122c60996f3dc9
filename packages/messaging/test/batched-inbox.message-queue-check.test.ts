import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { payment } from '@shop/contracts';
import type { Pool } from '@shop/db';
import { eventually, type TestBrokerClient } from '@shop/testing';
import { Headers, PermanentError } from '../src/index';
import { startConsumerHarness, type ConsumerHarness } from './consumer-harness';

/**
 * A consumer that handles up to 25 messages per transaction, against the real broker and
 * database. Each handled message records the id of the transaction it ran in, so the tests can
 * see batches happen, and what happens to the rest of a batch when one of its messages fails.
 */
describe('batched inbox consumer', () => {
  const queue = 'messaging-test.batched';
  let harness: ConsumerHarness;
  let pool: Pool;
  let client: TestBrokerClient;
  let calls: Map<string, number>;
  const prepared: string[][] = [];
  const fail = (behaviour: ConsumerHarness['behaviour']) => {
    harness.behaviour = behaviour;
  };

  before(async () => {
    harness = await startConsumerHarness('batched', payment.RefundPayment, {
      queue,
      retryDelaysMs: [50, 100],
      batchSize: 25,
      prepare: async (_tx, messages) => {
        prepared.push(messages.map((m) => m.id));
      },
    });
    ({ pool, client, calls } = harness);
  });

  after(() => harness?.close());

  const effectsOf = (orderIds: string[]) => effectsIn(harness, orderIds);
  const sendBurst = (count: number) => sendBurstTo(harness, count);
  const allHandled = (orderIds: string[]) => async () => ((await effectsOf(orderIds)).length === orderIds.length ? true : undefined);

  test('when messages arrive in a burst, then they are handled in fewer transactions than messages, each exactly once', async () => {
    fail(() => undefined);
    const { orderIds, envelopes } = await sendBurst(60);
    await eventually(allHandled(orderIds), { what: 'all 60 effects' });
    const rows = await effectsOf(orderIds);
    const transactions = new Set(rows.map((row) => row.txid)).size;
    assert.ok(transactions < 60, `60 messages took ${transactions} transactions`);
    assert.ok(Math.max(...[...countBy(rows.map((row) => row.txid)).values()]) <= 25, 'no batch is larger than batchSize');
    for (const orderId of orderIds) assert.equal(calls.get(orderId), 1);
    const { rows: inbox } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox WHERE message_id = ANY($1::text[])', [
      envelopes.map((e) => e.id),
    ]);
    assert.equal(inbox[0]?.n, 60, 'every message recorded in the inbox');
    // The handler's prepare saw each batch's messages before any was handled, once per batch.
    const preparedIds = prepared.flat().filter((id) => envelopes.some((e) => e.id === id));
    assert.equal(new Set(preparedIds).size, 60);
  });

  test('when messages arrive one at a time, then each is handled as it comes, in a transaction of its own', async () => {
    fail(() => undefined);
    const orderIds = await sendSpaced(harness, 8, 40);
    await eventually(allHandled(orderIds));
    const transactions = new Set((await effectsOf(orderIds)).map((row) => row.txid)).size;
    assert.ok(transactions > 2, `8 messages 40 ms apart took ${transactions} transactions`);
  });

  test('when one message of a batch fails for good, then the rest commit, and only that one is dead-lettered with its reason', async () => {
    const { orderIds, envelopes } = await sendBurst(40);
    const poison = orderIds[17]!;
    fail((orderId) => {
      if (orderId === poison) throw new PermanentError('refund refused by the bank');
    });
    const healthy = orderIds.filter((id) => id !== poison);
    await eventually(allHandled(healthy), { what: 'the 39 healthy effects' });
    const [parked] = await eventually(
      async () => {
        const messages = await client.drainQueue(`${queue}.dead-letter`);
        return messages.length > 0 ? messages : undefined;
      },
      { what: 'the dead letter' },
    );
    assert.equal(parked?.properties.messageId, envelopes[17]?.id);
    assert.equal(String(parked?.properties.headers?.[Headers.error]), 'refund refused by the bank');
    assert.equal((await effectsOf([poison])).length, 0, 'the poison message changed nothing');
    const rows = await effectsOf(healthy);
    assert.equal(rows.length, 39);
    assert.equal(new Set(rows.map((row) => row.order_id)).size, 39, 'no effect twice after the batch was handled again one by one');
  });

  test('when one message of a batch fails once, then it is retried and every effect happens once', async () => {
    const { orderIds } = await sendBurst(30);
    const flaky = orderIds[3]!;
    fail((orderId, call) => {
      if (orderId === flaky && call === 1) throw new Error('deadlock detected');
    });
    await eventually(allHandled(orderIds), { what: 'all 30 effects, the flaky one after its retry' });
    assert.ok((calls.get(flaky) ?? 0) >= 2);
    assert.equal((await effectsOf(orderIds)).length, 30);
  });

  test('when a handler fails its message alone, then the rest of its batch commits once, and that message is retried or dead-lettered', async () => {
    const { orderIds, envelopes } = await sendBurst(30);
    const flaky = orderIds[5]!;
    const refused = orderIds[20]!;
    // As a handler with an effect outside the database would: undo its own write, then fail alone.
    fail(async (orderId, call, { tx, failAlone }) => {
      if ((orderId === flaky && call === 1) || orderId === refused) {
        await tx.query('DELETE FROM effects WHERE order_id = $1', [orderId]);
        failAlone(orderId === refused ? new PermanentError('refused for good') : new Error('mail server busy'));
      }
    });
    const done = orderIds.filter((id) => id !== refused);
    await eventually(allHandled(done), { what: 'the 29 effects, the flaky one after its retry' });
    const [parked] = await eventually(
      async () => {
        const messages = await client.drainQueue(`${queue}.dead-letter`);
        return messages.length > 0 ? messages : undefined;
      },
      { what: 'the dead letter' },
    );
    assert.equal(parked?.properties.messageId, envelopes[20]?.id);
    assert.equal(String(parked?.properties.headers?.[Headers.error]), 'refused for good');
    assert.equal((await effectsOf([refused])).length, 0);
    assert.equal(calls.get(flaky), 2, 'the flaky message was handled again after its retry');
    // Nothing was rolled back and handled again one by one: every other handler ran exactly once.
    for (const orderId of done.filter((id) => id !== flaky)) assert.equal(calls.get(orderId), 1, `calls for ${orderId}`);
    const rows = await effectsOf(done);
    assert.ok(new Set(rows.map((row) => row.txid)).size < 29, 'the messages still shared transactions');
    const { rows: inbox } = await pool.query<{ message_id: string }>('SELECT message_id FROM inbox WHERE message_id = ANY($1::text[])', [
      envelopes.map((e) => e.id),
    ]);
    assert.equal(inbox.length, 29, 'the dead-lettered message left no inbox row, the retried one has its own');
  });

  test('when the same message is delivered twice in one burst, then its effect happens once', async () => {
    fail(() => undefined);
    const { orderIds, envelopes } = await sendBurst(1);
    await eventually(allHandled(orderIds));
    // Redeliveries of an already handled message, several in one burst, among fresh messages.
    const fresh = await sendBurst(10);
    for (let i = 0; i < 5; i += 1) client.resend(payment.RefundPayment, envelopes[0]!);
    await eventually(allHandled(fresh.orderIds));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(calls.get(orderIds[0]!), 1);
  });
});

/**
 * The same consumer with two workers, told to let a message wait up to 3 s for company (decision
 * 0025): messages that arrive one at a time within that wait share a transaction, and a full
 * batch does not wait.
 */
describe('batched inbox consumer that lingers', () => {
  const lingerMs = 3_000;
  let harness: ConsumerHarness;

  before(async () => {
    harness = await startConsumerHarness('lingering', payment.RefundPayment, {
      queue: 'messaging-test.lingering',
      retryDelaysMs: [50],
      batchSize: 25,
      concurrency: 2,
      batchLingerMs: lingerMs,
    });
  });

  after(() => harness?.close());

  const handled = async (orderIds: string[]) => {
    const rows = await effectsIn(harness, orderIds);
    return rows.length === orderIds.length ? rows : undefined;
  };

  test('when messages arrive one at a time within the linger, then one worker waits and handles them in one transaction, each once', async () => {
    const orderIds = await sendSpaced(harness, 8, 40);
    const rows = await eventually(() => handled(orderIds), { timeoutMs: lingerMs + 15_000 });
    const transactions = new Set(rows.map((row) => row.txid)).size;
    assert.equal(transactions, 1, `8 messages 40 ms apart took ${transactions} transactions`);
    for (const orderId of orderIds) assert.equal(harness.calls.get(orderId), 1);
  });

  test('when a full batch arrives, then it is handled without waiting out the linger', async () => {
    const sent = performance.now();
    const { orderIds } = await sendBurstTo(harness, 25);
    const rows = await eventually(() => handled(orderIds), { timeoutMs: lingerMs + 15_000, intervalMs: 20 });
    const tookMs = performance.now() - sent;
    assert.ok(tookMs < lingerMs / 2, `a full batch took ${Math.round(tookMs)} ms to be handled, with a ${lingerMs} ms linger`);
    assert.equal(new Set(rows.map((row) => row.txid)).size, 1);
  });
});

async function effectsIn({ pool }: ConsumerHarness, orderIds: string[]) {
  const { rows } = await pool.query<{ order_id: string; txid: number }>(
    'SELECT order_id, txid FROM effects WHERE order_id = ANY($1::uuid[])',
    [orderIds],
  );
  return rows;
}

/** Commits `count` refunds in one transaction, so the relay publishes them together and they arrive in a burst. */
async function sendBurstTo({ unitOfWork, outbox }: ConsumerHarness, count: number) {
  const orderIds = Array.from({ length: count }, () => randomUUID());
  const envelopes = await unitOfWork.run((tx) =>
    Promise.all(orderIds.map((orderId) => outbox.enqueue(tx, payment.RefundPayment, { orderId }, { correlationId: orderId }))),
  );
  return { orderIds, envelopes };
}

/** Commits `count` refunds one transaction at a time, `gapMs` apart, so they arrive one by one. */
async function sendSpaced({ unitOfWork, outbox }: ConsumerHarness, count: number, gapMs: number): Promise<string[]> {
  const orderIds: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const orderId = randomUUID();
    await unitOfWork.run((tx) => outbox.enqueue(tx, payment.RefundPayment, { orderId }, { correlationId: orderId }));
    orderIds.push(orderId);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return orderIds;
}

function countBy<T>(values: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
