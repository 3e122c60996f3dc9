import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Exchanges, warehouse, type PayloadOf, type ShippingAddress } from '@shop/contracts';
import { Headers } from '@shop/messaging';
import {
  eventually,
  operatorHeaders,
  startParticipant,
  TestBrokerClient,
  transactionsThatWrote,
  type ParticipantHarness,
} from '@shop/testing';
import { service as warehouseService } from '../src/main';

type Service = Awaited<ReturnType<typeof warehouseService.start>>;
type CreateShipment = PayloadOf<typeof warehouse.CreateShipment>;

const buildShipment = (overrides: Partial<CreateShipment> & { country?: ShippingAddress['country'] } = {}): CreateShipment => {
  const { country = 'DE', ...rest } = overrides;
  return {
    orderId: randomUUID(),
    address: { name: 'Ada Lovelace', line1: 'Hauptstr. 1', city: 'Berlin', postalCode: '10115', country },
    items: [{ sku: 'SKU-MUG', quantity: 2 }],
    ...rest,
  };
};

describe('warehouse commands', () => {
  let harness: ParticipantHarness<Service>;
  let service: Service;
  let client: TestBrokerClient;

  before(async () => {
    // A list, with odd spacing and case, to prove the setting is parsed and not just defaulted.
    harness = await startParticipant('warehouse', (env) => warehouseService.startWith(env), {
      WAREHOUSE_UNSERVED_COUNTRIES: 'AQ, kp',
    });
    ({ service, client } = harness);
  });

  after(async () => {
    await harness?.stop();
  });

  const repliesFor = (orderId: string) => harness.repliesFor(orderId);
  const replyFor = (orderId: string, count = 1) => harness.replyFor(orderId, count);
  const create = (command: CreateShipment) => client.send(warehouse.CreateShipment, command, { correlationId: command.orderId });
  const cancel = (orderId: string) => client.send(warehouse.CancelShipment, { orderId }, { correlationId: orderId });
  const shipmentRowsOf = async (orderId: string) =>
    (
      await service.pool.query<{ shipment_id: string | null; status: string }>(
        'SELECT shipment_id, status FROM shipments WHERE order_id = $1',
        [orderId],
      )
    ).rows;

  test('when the country is served, then it replies shipment-created and records the shipment', async () => {
    const command = buildShipment();
    const sent = await create(command);

    const reply = await replyFor(command.orderId);
    assert.equal(reply.type, 'warehouse.shipment-created');
    const { shipmentId } = reply.data as PayloadOf<typeof warehouse.ShipmentCreated>;
    assert.match(shipmentId, /^shp_[0-9a-f]{24}$/);
    assert.equal(reply.correlationId, command.orderId);
    assert.equal(reply.causationId, sent.id);
    assert.deepEqual(await shipmentRowsOf(command.orderId), [{ shipment_id: shipmentId, status: 'CREATED' }]);
  });

  for (const country of ['AQ', 'KP']) {
    test(`when the country is ${country}, which is not served, then it rejects with unserved-country and ships nothing`, async () => {
      const command = buildShipment({ country });
      await create(command);
      const reply = await replyFor(command.orderId);
      assert.equal(reply.type, 'warehouse.shipment-rejected');
      const data = reply.data as PayloadOf<typeof warehouse.ShipmentRejected>;
      assert.equal(data.reason, 'unserved-country');
      assert.match(data.detail, new RegExp(country));
      assert.deepEqual(await shipmentRowsOf(command.orderId), [{ shipment_id: null, status: 'REJECTED' }]);
    });
  }

  test('when the same command is delivered twice, then one shipment is created and one reply is sent', async () => {
    const command = buildShipment();
    const sent = await create(command);
    client.resend(warehouse.CreateShipment, sent);
    const reply = await replyFor(command.orderId);
    // A later message proves both copies were consumed before we count.
    const marker = randomUUID();
    await cancel(marker);
    await replyFor(marker);
    assert.equal(repliesFor(command.orderId).length, 1);
    const { shipmentId } = reply.data as { shipmentId: string };
    assert.deepEqual(await shipmentRowsOf(command.orderId), [{ shipment_id: shipmentId, status: 'CREATED' }]);
  });

  test('when the command is sent again under a new message id, then it gives the same reply and no second shipment', async () => {
    const command = buildShipment();
    await create(command);
    const first = await replyFor(command.orderId);
    await create(command);
    const second = await replyFor(command.orderId, 2);
    assert.deepEqual(second.data, first.data);
    assert.equal((await shipmentRowsOf(command.orderId)).length, 1);

    const rejected = buildShipment({ country: 'AQ' });
    await create(rejected);
    const firstRejection = await replyFor(rejected.orderId);
    await create(rejected);
    assert.deepEqual((await replyFor(rejected.orderId, 2)).data, firstRejection.data);
  });

  test('when a cancel follows a shipment, then it is cancelled once, a repeat replies the same, and a late create is refused', async () => {
    const command = buildShipment();
    await create(command);
    const { shipmentId } = (await replyFor(command.orderId)).data as { shipmentId: string };
    await cancel(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 2)).data, { orderId: command.orderId, cancelled: true });
    await cancel(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 3)).data, { orderId: command.orderId, cancelled: true });
    assert.deepEqual(await shipmentRowsOf(command.orderId), [{ shipment_id: shipmentId, status: 'CANCELLED' }]);

    await create(command);
    const late = await replyFor(command.orderId, 4);
    assert.equal((late.data as { reason: string }).reason, 'order-cancelled');
    assert.equal((await shipmentRowsOf(command.orderId))[0]?.status, 'CANCELLED');
  });

  test('when the cancel overtakes the create, then the late create is refused and ships nothing', async () => {
    const command = buildShipment();
    await cancel(command.orderId);
    assert.deepEqual((await replyFor(command.orderId)).data, { orderId: command.orderId, cancelled: false });
    await cancel(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 2)).data, { orderId: command.orderId, cancelled: false });

    await create(command);
    const late = await replyFor(command.orderId, 3);
    assert.equal(late.type, 'warehouse.shipment-rejected');
    assert.equal((late.data as { reason: string }).reason, 'order-cancelled');
    assert.deepEqual(await shipmentRowsOf(command.orderId), [{ shipment_id: null, status: 'CANCELLED' }]);
  });

  test('when a rejected shipment is cancelled, then it replies cancelled false', async () => {
    const command = buildShipment({ country: 'AQ' });
    await create(command);
    await replyFor(command.orderId);
    await cancel(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 2)).data, { orderId: command.orderId, cancelled: false });
  });

  test('when commands arrive in a burst, then they are handled in batches, and a cancel sees the create before it in the same batch', async () => {
    // Sent without waiting for the replies, so they queue up and the consumer takes them in
    // batches: each batch locks its shipments in one statement and inserts them in one more.
    const created = Array.from({ length: 30 }, () => buildShipment());
    const cancelled = Array.from({ length: 15 }, () => buildShipment());
    await Promise.all([...created.map(create), ...cancelled.flatMap((command) => [create(command), cancel(command.orderId)])]);

    for (const command of created) assert.equal((await replyFor(command.orderId)).type, 'warehouse.shipment-created');
    for (const command of cancelled) {
      const [createReply, cancelReply] = await eventually(async () => {
        const replies = repliesFor(command.orderId);
        return replies.length === 2 ? replies : undefined;
      });
      const { shipmentId } = createReply!.data as PayloadOf<typeof warehouse.ShipmentCreated>;
      // The cancel's update ran after the create's deferred insert, though both were in one transaction.
      assert.deepEqual(cancelReply!.data, { orderId: command.orderId, cancelled: true });
      assert.deepEqual(await shipmentRowsOf(command.orderId), [{ shipment_id: shipmentId, status: 'CANCELLED' }]);
    }
    const transactions = await transactionsThatWrote(
      service.pool,
      'shipments',
      created.map((command) => command.orderId),
    );
    assert.ok(transactions < created.length, `${created.length} creates took ${transactions} transactions`);
  });

  test('when poisoned messages arrive, then each is parked in the dead-letter queue with its reason and the consumer keeps serving', async () => {
    client.publishRaw(Exchanges.commands, 'warehouse.create-shipment', Buffer.from('{not json'), { messageId: 'poison-1' });
    const wrongSchema = {
      id: randomUUID(),
      type: 'warehouse.create-shipment',
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      data: { ...buildShipment(), address: { ...buildShipment().address, country: 'Germany' } },
    };
    client.publishRaw(Exchanges.commands, 'warehouse.create-shipment', Buffer.from(JSON.stringify(wrongSchema)));

    const parked = await eventually(
      async () => {
        const depth = await client.queueDepth('warehouse.commands.dead-letter');
        return depth >= 2 ? client.drainQueue('warehouse.commands.dead-letter') : undefined;
      },
      { what: 'two dead letters' },
    );
    const reasons = parked.map((m) => String(m.properties.headers?.[Headers.error]));
    assert.match(reasons[0] ?? '', /unparseable body/);
    assert.match(reasons[1] ?? '', /schema violation in warehouse.create-shipment: address.country/);
    for (const message of parked) assert.equal(message.properties.headers?.[Headers.originalRoutingKey], 'warehouse.create-shipment');
    assert.deepEqual(await shipmentRowsOf(wrongSchema.data.orderId), []);

    const command = buildShipment();
    await create(command);
    assert.equal((await replyFor(command.orderId)).type, 'warehouse.shipment-created');
  });

  test('GET /shipments shows the shipment; an unknown order is a 404 and a bad orderId a 400 naming the field', async () => {
    const command = buildShipment({ country: 'FR' });
    await create(command);
    const { shipmentId } = (await replyFor(command.orderId)).data as { shipmentId: string };

    const found = await fetch(`${service.url}/shipments?orderId=${command.orderId}`, { headers: operatorHeaders() });
    assert.equal(found.status, 200);
    const body = (await found.json()) as { shipmentId: string; status: string; country: string; items: unknown };
    assert.equal(body.shipmentId, shipmentId);
    assert.equal(body.status, 'CREATED');
    assert.equal(body.country, 'FR');
    assert.deepEqual(body.items, command.items);

    const missing = await fetch(`${service.url}/shipments?orderId=${randomUUID()}`, { headers: operatorHeaders() });
    assert.equal(missing.status, 404);
    for (const query of ['', '?orderId=42']) {
      const bad = await fetch(`${service.url}/shipments${query}`, { headers: operatorHeaders() });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: { message: string } }).error.message, /orderId/);
    }
  });
});
