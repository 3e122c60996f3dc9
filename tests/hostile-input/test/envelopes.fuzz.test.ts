import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { SERVICE_NAMES, serviceNamed, type ServiceName } from '@shop/catalog';
import { Exchanges } from '@shop/contracts';
import { buildOrder, eventually, TestBrokerClient } from '@shop/testing';
import { hostileDelivery, type HostileDelivery } from './envelopes-arbitraries';
import { snapshotTables, startEnvelopeShop, type EnvelopeShop } from './envelopes-shop';

/** Generated deliveries per work queue, one at a time, and then all queues' in one burst. */
const RUNS_PER_QUEUE = Number(process.env.FUZZ_RUNS ?? 150);
const BURST = Number(process.env.FUZZ_BURST ?? 300);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** The services' RETRY_DELAYS_MS under test (serviceTestEnv): their retry queues are `<queue>.retry.<delay>ms`. */
const RETRY_DELAYS_MS = [50, 100];

const queueOf = (name: ServiceName) => serviceNamed(name).consumes[0]!.queue;
const contractsOf = (name: ServiceName) => serviceNamed(name).consumes[0]!.messages;
const deadLetterOf = (queue: string) => `${queue}.dead-letter`;
const fingerprint = (queue: string, body: Buffer) => `${queue} ${createHash('sha256').update(body).digest('hex')}`;

describe('hostile envelopes published straight to every work queue', () => {
  let shop: EnvelopeShop;
  let client: TestBrokerClient;
  let listenerClient: TestBrokerClient;
  let initial: Record<string, string>;
  let onExchanges: Array<{ raw: Array<{ content: Buffer }> }>;
  /** Bodies the test itself published to the topic exchanges: the listener sees those. */
  const publishedToTopics = new Map<string, number>();
  let totalPublished = 0;

  before(async () => {
    shop = await startEnvelopeShop('envelopesfuzz');
    client = await TestBrokerClient.connect(shop.infra.rabbitmqUrl);
    listenerClient = await TestBrokerClient.connect(shop.infra.rabbitmqUrl);
    onExchanges = [];
    for (const exchange of Object.values(Exchanges)) onExchanges.push(await listenerClient.listen(exchange, '#'));
    initial = await snapshotTables(shop);
  });

  after(async () => {
    await client?.close();
    await listenerClient?.close();
    await shop?.stopAll();
  });

  /** Messages on the topic exchanges that the test did not publish itself: what the services sent. */
  const sentByServices = () => {
    const seen = new Map<string, number>();
    const unexpected: string[] = [];
    for (const { raw } of onExchanges) {
      for (const message of raw) {
        const key = createHash('sha256').update(message.content).digest('hex');
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if ((seen.get(key) ?? 0) > (publishedToTopics.get(key) ?? 0)) unexpected.push(message.content.toString('utf8').slice(0, 300));
      }
    }
    return unexpected;
  };

  const publish = (queue: string, delivery: HostileDelivery) => {
    totalPublished++;
    if (delivery.topic) {
      const key = createHash('sha256').update(delivery.body).digest('hex');
      publishedToTopics.set(key, (publishedToTopics.get(key) ?? 0) + 1);
      client.publishRaw(delivery.topic.exchange, delivery.topic.routingKey, delivery.body, delivery.properties);
    } else {
      client.publishRaw('', queue, delivery.body, delivery.properties);
    }
  };

  const assertParkedWithReason = (
    queue: string,
    delivery: HostileDelivery,
    parked: { content: Buffer; properties: { headers?: Record<string, unknown> } },
  ) => {
    const headers = parked.properties.headers ?? {};
    const reason = headers['x-shop-error'];
    assert.equal(typeof reason, 'string', `${delivery.kind}: parked without an x-shop-error reason`);
    assert.match(reason as string, delivery.reason, `${delivery.kind}: the reason does not say what was wrong`);
    assert.equal(headers['x-shop-consumer'], queue);
    const attempt = headers['x-shop-attempt'];
    assert.ok(
      typeof attempt === 'number' && Number.isInteger(attempt) && attempt >= 1,
      `${delivery.kind}: parked with attempt ${String(attempt)}`,
    );
  };

  /** Retry queues and the work queue are empty: nothing is waiting to be tried again. */
  const assertNothingWaiting = async (queue: string, what: string) => {
    for (const name of [queue, ...RETRY_DELAYS_MS.map((delay) => `${queue}.retry.${delay}ms`)]) {
      assert.equal(await client.queueDepth(name), 0, `${what}: ${name} is not empty`);
    }
  };

  /**
   * Publishes one delivery and waits until it is parked, or until its handling shows: a message
   * a service published, or a changed row. Then checks the reason and that nothing else changed.
   */
  const publishAndCheck = async (queue: string, delivery: HostileDelivery) => {
    // Compared with the state before this delivery, so that one failure does not fail every later one.
    const rowsBefore = await snapshotTables(shop);
    const sentBefore = sentByServices().length;
    publish(queue, delivery);
    let polls = 0;
    const parked = await eventually(
      async () => {
        const taken = await client.drainQueue(deadLetterOf(queue));
        if (taken.length > 0) return taken;
        if (sentByServices().length > sentBefore) return [];
        if (++polls % 10 === 0) assert.deepEqual(await snapshotTables(shop), rowsBefore, `${delivery.kind}: rows changed`);
        return undefined;
      },
      { timeoutMs: 5_000, intervalMs: 5, what: `${delivery.kind} to be parked in ${deadLetterOf(queue)}` },
    );
    assert.deepEqual(sentByServices().slice(sentBefore), [], `${delivery.kind}: a service published a message`);
    assert.equal(parked.length, 1, `${delivery.kind}: ${parked.length} messages parked in ${deadLetterOf(queue)}`);
    assert.ok(parked[0]!.content.equals(delivery.body), `${delivery.kind}: the parked body differs from the published one`);
    assertParkedWithReason(queue, delivery, parked[0]!);
    assert.deepEqual(await snapshotTables(shop), rowsBefore, `${delivery.kind}: rows changed`);
    await assertNothingWaiting(queue, delivery.kind);
  };

  const otherTypesThan = (name: ServiceName) =>
    SERVICE_NAMES.filter((other) => other !== name).flatMap((other) => contractsOf(other).map((contract) => contract.type));
  const hostileFor = (name: ServiceName) => hostileDelivery(contractsOf(name), otherTypesThan(name));

  for (const name of SERVICE_NAMES) {
    const queue = queueOf(name);
    test(`${queue}: every hostile delivery is parked with its reason, and nothing else happens`, { timeout: 180_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(hostileFor(name), (delivery) => publishAndCheck(queue, delivery)),
        { numRuns: RUNS_PER_QUEUE, seed },
      );
    });
  }

  test('a burst of hostile deliveries to all work queues at once is parked in full', { timeout: 120_000 }, async () => {
    const burst = fc.sample(
      fc.constantFrom(...SERVICE_NAMES).chain((name) => hostileFor(name).map((delivery) => ({ queue: queueOf(name), delivery }))),
      { numRuns: BURST, seed },
    );
    const rowsBefore = await snapshotTables(shop);
    const sentBefore = sentByServices().length;
    const expected = new Map<string, HostileDelivery[]>();
    for (const { queue, delivery } of burst) {
      const key = fingerprint(queue, delivery.body);
      expected.set(key, [...(expected.get(key) ?? []), delivery]);
      publish(queue, delivery);
    }
    const parked: Array<{ queue: string; message: Awaited<ReturnType<TestBrokerClient['drainQueue']>>[number] }> = [];
    await eventually(
      async () => {
        for (const name of SERVICE_NAMES) {
          const queue = queueOf(name);
          for (const message of await client.drainQueue(deadLetterOf(queue))) parked.push({ queue, message });
        }
        return parked.length >= burst.length ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 20, what: `${burst.length} deliveries to be parked` },
    );
    assert.equal(parked.length, burst.length);
    for (const { queue, message } of parked) {
      const candidates = expected.get(fingerprint(queue, message.content));
      assert.ok(candidates && candidates.length > 0, `a message parked in ${deadLetterOf(queue)} that was not sent to ${queue}`);
      const reason = String(message.properties.headers?.['x-shop-error'] ?? '');
      const index = candidates.findIndex((delivery) => delivery.reason.test(reason));
      assert.ok(index >= 0, `${candidates[0]!.kind}: parked with reason ${JSON.stringify(reason)}`);
      assertParkedWithReason(queue, candidates[index]!, message);
      candidates.splice(index, 1);
    }
    for (const name of SERVICE_NAMES) await assertNothingWaiting(queueOf(name), 'after the burst');
    assert.deepEqual(await snapshotTables(shop), rowsBefore, 'rows changed');
    assert.deepEqual(sentByServices().slice(sentBefore), [], 'a service published a message');
  });

  test(
    'afterwards every consumer still works: the exchanges carried only what the test sent, and an order is confirmed and mailed',
    { timeout: 60_000 },
    async () => {
      const topicCount = [...publishedToTopics.values()].reduce((sum, count) => sum + count, 0);
      await eventually(() => (onExchanges.reduce((sum, { raw }) => sum + raw.length, 0) >= topicCount ? true : undefined), {
        what: `the ${topicCount} deliveries sent through the topic exchanges to reach the listener`,
      });
      assert.deepEqual(sentByServices(), [], 'a service published a message');
      assert.deepEqual(await snapshotTables(shop), initial, 'rows changed');
      console.log(`published ${totalPublished} hostile deliveries, ${topicCount} of them through the topic exchanges`);

      for (const [name, service] of Object.entries(shop.services)) {
        const response = await fetch(`${service.url}/readyz`);
        assert.equal(response.status, 200, `${name} is not ready`);
      }
      const order = buildOrder();
      const placed = await fetch(`${shop.services.order.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order),
      });
      assert.equal(placed.status, 202, await placed.clone().text());
      const { orderId } = (await placed.json()) as { orderId: string };
      const settled = await eventually(
        async () => {
          const view = (await (await fetch(`${shop.services.order.url}/orders/${orderId}`)).json()) as { status: string };
          return view.status === 'PENDING' ? undefined : view;
        },
        { timeoutMs: 30_000, what: `order ${orderId} to settle` },
      );
      assert.equal(settled.status, 'CONFIRMED');
      await shop.sink.waitFor((email) => email.to.includes(order.email));
      for (const name of SERVICE_NAMES)
        assert.equal(await client.queueDepth(deadLetterOf(queueOf(name))), 0, `${name} parked a valid message`);
    },
  );
});
