import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { inventory } from '@shop/contracts';
import { Headers } from '@shop/messaging';
import { eventually, startParticipant, type ParticipantHarness } from '@shop/testing';
import { service as inventoryService } from '../src/main';

type Service = Awaited<ReturnType<typeof inventoryService.start>>;

/** The demo switches from the environment to the consumer, through the runtime. */
describe('inventory demo switches', () => {
  let harness: ParticipantHarness<Service>;

  before(async () => {
    harness = await startParticipant('inventory-switches', (env) => inventoryService.startWith(env), {
      INVENTORY_FAILURE_RATE: '1',
    });
  });

  after(async () => {
    await harness?.stop();
  });

  test('when INVENTORY_FAILURE_RATE is 1, then every command fails transiently through its retries and is dead-lettered with the injected reason, and nothing is reserved', async () => {
    const orderId = randomUUID();
    await harness.client.send(inventory.ReserveStock, { orderId, items: [{ sku: 'SKU-MUG', quantity: 1 }] }, { correlationId: orderId });
    const [parked] = await eventually(
      async () => {
        const messages = await harness.client.drainQueue('inventory.commands.dead-letter');
        return messages.length > 0 ? messages : undefined;
      },
      { what: 'the dead letter' },
    );
    assert.match(
      String(parked?.properties.headers?.[Headers.error]),
      /failed after 3 attempts: InjectedFault: injected transient failure in inventory\.commands/,
    );
    assert.equal(harness.repliesFor(orderId).length, 0);
    const { rows } = await harness.service.pool.query('SELECT 1 FROM reservations WHERE order_id = $1', [orderId]);
    assert.equal(rows.length, 0);
  });
});
