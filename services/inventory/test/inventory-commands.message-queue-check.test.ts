import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Exchanges, inventory } from '@shop/contracts';
import { Headers } from '@shop/messaging';
import {
  eventually,
  operatorHeaders,
  startParticipant,
  TestBrokerClient,
  transactionsThatWrote,
  type ParticipantHarness,
} from '@shop/testing';
import { service as inventoryService } from '../src/main';

type Service = Awaited<ReturnType<typeof inventoryService.start>>;

describe('inventory commands', () => {
  let harness: ParticipantHarness<Service>;
  let service: Service;
  let client: TestBrokerClient;

  before(async () => {
    harness = await startParticipant('inventory', (env) => inventoryService.startWith(env));
    ({ service, client } = harness);
  });

  after(async () => {
    await harness?.stop();
  });

  const stockOf = async (sku: string) =>
    (await service.pool.query<{ stock: number }>('SELECT stock FROM products WHERE sku = $1', [sku])).rows[0]?.stock;
  const repliesFor = (orderId: string) => harness.repliesFor(orderId);
  const replyFor = (orderId: string, count = 1) => harness.replyFor(orderId, count);

  test('when every SKU has stock, then it replies stock-reserved with unit prices and takes the stock', async () => {
    const orderId = randomUUID();
    const before = await stockOf('SKU-MUG');
    const command = await client.send(
      inventory.ReserveStock,
      { orderId, items: [{ sku: 'SKU-MUG', quantity: 3 }] },
      { correlationId: orderId },
    );

    const reply = await replyFor(orderId);
    assert.equal(reply.type, 'inventory.stock-reserved');
    assert.deepEqual(reply.data, { orderId, lines: [{ sku: 'SKU-MUG', quantity: 3, name: 'Enamel mug', unitPriceCents: 1200 }] });
    assert.equal(reply.correlationId, orderId);
    assert.equal(reply.causationId, command.id);
    assert.equal(await stockOf('SKU-MUG'), (before ?? 0) - 3);
  });

  test('when the same command is delivered twice, then the stock is taken once and one reply is sent', async () => {
    const orderId = randomUUID();
    const before = await stockOf('SKU-TEA');
    const command = await client.send(
      inventory.ReserveStock,
      { orderId, items: [{ sku: 'SKU-TEA', quantity: 2 }] },
      { correlationId: orderId },
    );
    client.resend(inventory.ReserveStock, command);
    await replyFor(orderId);
    // A later message proves both copies were consumed before we count.
    const marker = randomUUID();
    await client.send(inventory.ReleaseStock, { orderId: marker }, { correlationId: marker });
    await replyFor(marker);
    assert.equal(repliesFor(orderId).length, 1);
    assert.equal(await stockOf('SKU-TEA'), (before ?? 0) - 2);
  });

  test('when the command is sent again under a new message id, then it gives the same reply and no second effect', async () => {
    const orderId = randomUUID();
    const before = await stockOf('SKU-COFFEE');
    const items = [{ sku: 'SKU-COFFEE', quantity: 1 }];
    await client.send(inventory.ReserveStock, { orderId, items }, { correlationId: orderId });
    const first = await replyFor(orderId);
    await client.send(inventory.ReserveStock, { orderId, items }, { correlationId: orderId });
    const second = await replyFor(orderId, 2);
    assert.deepEqual(second.data, first.data);
    assert.equal(await stockOf('SKU-COFFEE'), (before ?? 0) - 1);
  });

  test('when a SKU is unknown, then it rejects with unknown-sku and takes nothing', async () => {
    const orderId = randomUUID();
    const before = await stockOf('SKU-MUG');
    await client.send(
      inventory.ReserveStock,
      {
        orderId,
        items: [
          { sku: 'SKU-MUG', quantity: 1 },
          { sku: 'SKU-NOPE', quantity: 1 },
        ],
      },
      { correlationId: orderId },
    );
    const reply = await replyFor(orderId);
    assert.equal(reply.type, 'inventory.stock-reservation-rejected');
    assert.equal((reply.data as { reason: string }).reason, 'unknown-sku');
    assert.equal(await stockOf('SKU-MUG'), before);
  });

  test('when one line is short of stock, then no line is reserved', async () => {
    const orderId = randomUUID();
    const before = await stockOf('SKU-MUG');
    await client.send(
      inventory.ReserveStock,
      {
        orderId,
        items: [
          { sku: 'SKU-MUG', quantity: 1 },
          { sku: 'SKU-RARE', quantity: 2 },
        ],
      },
      { correlationId: orderId },
    );
    const reply = await replyFor(orderId);
    assert.equal((reply.data as { reason: string }).reason, 'insufficient-stock');
    assert.equal(await stockOf('SKU-MUG'), before);
    assert.equal(await stockOf('SKU-RARE'), 1);
  });

  test('when a release follows a reservation, then the stock comes back', async () => {
    const orderId = randomUUID();
    const before = await stockOf('SKU-GRINDER');
    await client.send(inventory.ReserveStock, { orderId, items: [{ sku: 'SKU-GRINDER', quantity: 4 }] }, { correlationId: orderId });
    await replyFor(orderId);
    await client.send(inventory.ReleaseStock, { orderId }, { correlationId: orderId });
    const released = await replyFor(orderId, 2);
    assert.deepEqual(released.data, { orderId, released: true });
    assert.equal(await stockOf('SKU-GRINDER'), before);
  });

  test('when the release overtakes the reservation, then the late reservation is refused and takes nothing', async () => {
    const orderId = randomUUID();
    const before = await stockOf('SKU-GRINDER');
    await client.send(inventory.ReleaseStock, { orderId }, { correlationId: orderId });
    assert.deepEqual((await replyFor(orderId)).data, { orderId, released: false });
    await client.send(inventory.ReserveStock, { orderId, items: [{ sku: 'SKU-GRINDER', quantity: 1 }] }, { correlationId: orderId });
    const late = await replyFor(orderId, 2);
    assert.equal(late.type, 'inventory.stock-reservation-rejected');
    assert.equal((late.data as { reason: string }).reason, 'order-cancelled');
    assert.equal(await stockOf('SKU-GRINDER'), before);
  });

  test('when commands arrive in a burst, then batches share the stock they locked, and a release sees the reservation before it', async () => {
    // Sent without waiting for the replies, so they queue up and the consumer takes them in
    // batches: 30 orders compete for 20 units, and 10 more are reserved and released at once.
    await service.pool.query(`UPDATE products SET stock = 20 WHERE sku = 'SKU-RARE'`);
    const mugsBefore = await stockOf('SKU-MUG');
    const teaBefore = await stockOf('SKU-TEA');
    const competing = Array.from({ length: 30 }, () => randomUUID());
    const released = Array.from({ length: 10 }, () => randomUUID());
    const reserve = (orderId: string, sku: string) =>
      client.send(
        inventory.ReserveStock,
        {
          orderId,
          items: [
            { sku, quantity: 1 },
            { sku: 'SKU-MUG', quantity: 1 },
          ],
        },
        { correlationId: orderId },
      );
    const release = (orderId: string) => client.send(inventory.ReleaseStock, { orderId }, { correlationId: orderId });
    try {
      await Promise.all([
        ...competing.map((orderId) => reserve(orderId, 'SKU-RARE')),
        ...released.flatMap((orderId) => [reserve(orderId, 'SKU-TEA'), release(orderId)]),
      ]);

      const outcomes = await Promise.all(competing.map(async (orderId) => (await replyFor(orderId)).type));
      assert.equal(outcomes.filter((type) => type === 'inventory.stock-reserved').length, 20);
      assert.equal(outcomes.filter((type) => type === 'inventory.stock-reservation-rejected').length, 10);
      for (const orderId of released) assert.deepEqual((await replyFor(orderId, 2)).data, { orderId, released: true });
      assert.equal(await stockOf('SKU-RARE'), 0);
      assert.equal(await stockOf('SKU-TEA'), teaBefore);
      const { rows: statuses } = await service.pool.query<{ status: string }>(
        'SELECT DISTINCT status FROM reservations WHERE order_id = ANY($1::uuid[])',
        [released],
      );
      assert.deepEqual(statuses, [{ status: 'RELEASED' }]);
      // 20 reserved and kept, 10 reserved and given back: the mugs of the rejected orders were never taken.
      assert.equal(await stockOf('SKU-MUG'), (mugsBefore ?? 0) - 20);
      const transactions = await transactionsThatWrote(service.pool, 'reservations', competing);
      assert.ok(transactions < competing.length, `${competing.length} reservations took ${transactions} transactions`);
    } finally {
      await service.pool.query(`UPDATE products SET stock = 1 WHERE sku = 'SKU-RARE'`);
    }
  });

  test('when poisoned messages arrive, then each is parked in the dead-letter queue with its reason and the consumer keeps serving', async () => {
    const orderId = randomUUID();
    client.publishRaw(Exchanges.commands, 'inventory.reserve-stock', Buffer.from('{not json'), { messageId: 'poison-1' });
    const wrongSchema = {
      id: randomUUID(),
      type: 'inventory.reserve-stock',
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: orderId,
      causationId: null,
      data: { orderId, items: [] },
    };
    client.publishRaw(Exchanges.commands, 'inventory.reserve-stock', Buffer.from(JSON.stringify(wrongSchema)));
    const unknownType = { ...wrongSchema, id: randomUUID(), type: 'inventory.steal-stock' };
    client.publishRaw(Exchanges.commands, 'inventory.reserve-stock', Buffer.from(JSON.stringify(unknownType)));

    const parked = await eventually(
      async () => {
        const depth = await client.queueDepth('inventory.commands.dead-letter');
        return depth >= 3 ? client.drainQueue('inventory.commands.dead-letter') : undefined;
      },
      { what: 'three dead letters' },
    );
    const reasons = parked.map((m) => String(m.properties.headers?.[Headers.error]));
    assert.match(reasons[0] ?? '', /unparseable body/);
    assert.match(reasons[1] ?? '', /schema violation in inventory.reserve-stock: items/);
    assert.match(reasons[2] ?? '', /unknown message type "inventory.steal-stock"/);
    for (const message of parked) {
      assert.equal(message.properties.headers?.[Headers.originalExchange], Exchanges.commands);
      assert.equal(message.properties.headers?.[Headers.originalRoutingKey], 'inventory.reserve-stock');
    }
    assert.equal(parked[0]?.content.toString(), '{not json');

    await client.send(inventory.ReserveStock, { orderId, items: [{ sku: 'SKU-MUG', quantity: 1 }] }, { correlationId: orderId });
    assert.equal((await replyFor(orderId)).type, 'inventory.stock-reserved');
  });

  test('GET /stock/:sku shows the stock, and an unknown SKU is a 404', async () => {
    const found = await fetch(`${service.url}/stock/SKU-RARE`, { headers: operatorHeaders() });
    assert.equal(found.status, 200);
    assert.equal(((await found.json()) as { name: string }).name, 'Limited edition kettle');
    const missing = await fetch(`${service.url}/stock/SKU-NOPE`, { headers: operatorHeaders() });
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /SKU-NOPE/);
  });

  test('when GET /stock, /stock/:sku or /reservations/:orderId is asked for without the operator token, then it answers 401; with it, 200', async () => {
    const orderId = randomUUID();
    await client.send(inventory.ReserveStock, { orderId, items: [{ sku: 'SKU-MUG', quantity: 1 }] }, { correlationId: orderId });
    assert.equal((await replyFor(orderId)).type, 'inventory.stock-reserved');
    for (const path of ['/stock', '/stock/SKU-MUG', `/reservations/${orderId}`]) {
      for (const headers of [{}, operatorHeaders('not-the-operator-token-0123456789')] as Array<Record<string, string>>) {
        const refused = await fetch(`${service.url}${path}`, { headers });
        assert.equal(refused.status, 401, path);
        assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
        assert.match(((await refused.json()) as { error: { message: string } }).error.message, /^authorization: /);
      }
      const answered = await fetch(`${service.url}${path}`, { headers: operatorHeaders() });
      assert.equal(answered.status, 200, path);
      await answered.body?.cancel();
    }
  });
});
